import { describe, expect, it } from 'vitest';
import { parseClientFrame } from './frames.js';

const text = (value: string) => parseClientFrame(Buffer.from(value), false);
const id = '0b8f3c1e-52a4-4d3e-9d0c-2f6a7b8c9d0e';

describe('parseClientFrame', () => {
  it('accepts every well-formed client frame', () => {
    expect(text(JSON.stringify({ type: 'ping', ref: 'p1' }))).toEqual({
      ok: true,
      frame: { type: 'ping', ref: 'p1' },
    });
    expect(text(JSON.stringify({ type: 'ack', conversationId: id, seq: 4 })).ok).toBe(true);
    expect(text(JSON.stringify({ type: 'typing', conversationId: id, state: 'start' })).ok).toBe(true);
  });

  it.each([
    ['binary', () => parseClientFrame(Buffer.from([0, 1, 2]), true), /Binary/],
    ['bad UTF-8', () => parseClientFrame(Buffer.from([0xff, 0xfe, 0x22]), false), /UTF-8/],
    ['not JSON', () => text('{"type":'), /not valid JSON/],
    ['a JSON array', () => text('[1,2]'), /JSON object/],
    ['a JSON string', () => text('"ping"'), /JSON object/],
    ['null', () => text('null'), /JSON object/],
    ['no type', () => text('{"ref":"x"}'), /string "type"/],
    ['a numeric type', () => text('{"type":7}'), /string "type"/],
    ['an unknown type', () => text('{"type":"launch"}'), /Unknown frame type "launch"/],
    ['a wrong field type', () => text(`{"type":"ack","conversationId":"${id}","seq":"4"}`), /seq/],
    ['a negative seq', () => text(`{"type":"ack","conversationId":"${id}","seq":-1}`), /seq/],
    ['a huge string', () => text(JSON.stringify({ type: 'auth', token: 'x'.repeat(20_000) })), /token/],
  ])('refuses %s with a reason', (_name, parse, reason) => {
    const result = parse();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(reason);
  });

  it('echoes a usable ref and clientMsgId of a refused frame, and never the input itself', () => {
    const result = text(
      JSON.stringify({ type: 'message.send', ref: 'r-1', clientMsgId: id, conversationId: 'x' }),
    );
    expect(result).toMatchObject({ ok: false, ref: 'r-1', clientMsgId: id });
    const hostile = text(JSON.stringify({ type: 'y'.repeat(5_000), ref: 'z'.repeat(65) }));
    expect(hostile.ok).toBe(false);
    if (!hostile.ok) {
      expect(hostile.ref).toBeUndefined();
      expect(hostile.message.length).toBeLessThan(300);
    }
  });
});
