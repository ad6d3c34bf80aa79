import { ClientFrame, type ServerFrame } from '@im/contracts';
import type { RawData } from 'ws';

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  | {
      ok: false;
      /** Why, for the error frame (never echoes the input). */
      message: string;
      /** The frame's `ref` when it had a usable one, to echo. */
      ref?: string;
      /** The frame's `clientMsgId` when it had a usable one (a refused send says which message). */
      clientMsgId?: string;
    };

const KNOWN_TYPES = new Set<string>(ClientFrame.options.map((option) => option.shape.type.value));
const REF = /^.{1,64}$/s;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns one WebSocket message into a client frame, or into the reason it is
 * not one. Total: any input (binary, bad UTF-8, bad JSON, wrong types, unknown
 * type, oversized strings) yields a result and never throws.
 */
export function parseClientFrame(data: RawData, isBinary: boolean): ParsedFrame {
  if (isBinary) return { ok: false, message: 'Binary frames are not accepted; send JSON text frames' };
  let text: string;
  try {
    text = utf8.decode(toBuffer(data));
  } catch {
    // The socket skips UTF-8 validation so that bad text gets an error frame instead of a 1007 close.
    return { ok: false, message: 'The frame is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'The frame is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: 'A frame is a JSON object with a "type"' };
  }
  const fields = json as Record<string, unknown>;
  const echo = {
    ...(typeof fields.ref === 'string' && REF.test(fields.ref) ? { ref: fields.ref } : {}),
    ...(typeof fields.clientMsgId === 'string' && UUID.test(fields.clientMsgId)
      ? { clientMsgId: fields.clientMsgId }
      : {}),
  };
  if (typeof fields.type !== 'string' || !KNOWN_TYPES.has(fields.type)) {
    return { ok: false, message: describeType(fields.type), ...echo };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(frame)';
    return {
      ok: false,
      message: `Invalid "${fields.type}" frame: ${path}: ${clip(issue?.message ?? 'invalid')}`,
      ...echo,
    };
  }
  return { ok: true, frame: parsed.data };
}

export function serializeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

function describeType(type: unknown): string {
  if (typeof type !== 'string') return 'A frame needs a string "type"';
  return `Unknown frame type "${clip(type)}"; expected one of ${[...KNOWN_TYPES].join(', ')}`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
