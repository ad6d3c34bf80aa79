import type { Headers } from './transport/types.js';

/** Headers the broker package writes. Operators see them on dead letters. */
export const BrokerHeaders = {
  /** Which attempt at handling this delivery is (1 for the first). */
  attempt: 'x-attempt',
  /** Where the message was first published, kept across retries and dead-lettering. */
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  /** The last failure, on a message waiting in the retry queue. */
  lastErrorCode: 'x-last-error-code',
  lastErrorMessage: 'x-last-error-message',
  /** Why a dead letter is dead. */
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  failedAt: 'x-failed-at',
  /** The queue whose consumer gave up on the message. */
  sourceQueue: 'x-source-queue',
  /** How many times an operator replayed this message from a dead-letter queue. */
  replayCount: 'x-replay-count',
} as const;

/** Headers that describe one trip through retry or dead-lettering; dropped when the message moves on. */
const TRANSIENT = new Set<string>([
  BrokerHeaders.attempt,
  BrokerHeaders.lastErrorCode,
  BrokerHeaders.lastErrorMessage,
  BrokerHeaders.errorCode,
  BrokerHeaders.errorMessage,
  BrokerHeaders.failedAt,
  BrokerHeaders.sourceQueue,
  // RabbitMQ's own dead-lettering record: the broker counts attempts itself, and a stale x-death
  // would make RabbitMQ see a dead-letter cycle where there is none.
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
]);

export function withoutTransientHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const [key, value] of Object.entries(headers)) if (!TRANSIENT.has(key)) out[key] = value;
  return out;
}

export function attemptOf(headers: Headers): number {
  const value = headers[BrokerHeaders.attempt];
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
}

export function stringHeader(headers: Headers, key: string): string | undefined {
  const value = headers[key];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

export function numberHeader(headers: Headers, key: string): number | undefined {
  const value = headers[key];
  return typeof value === 'number' ? value : undefined;
}
