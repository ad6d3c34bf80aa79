import { AppError } from '@im/contracts';
import { z } from 'zod';
import type { ExchangeType, QueueArguments } from './types.js';

/**
 * AMQP topic matching: keys and patterns are dot-separated words; `*` matches
 * exactly one word, `#` matches zero or more words.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  // reachable[j]: the pattern prefix processed so far can consume exactly the first j words.
  let reachable = new Array<boolean>(k.length + 1).fill(false);
  reachable[0] = true;
  for (const word of p) {
    const next = new Array<boolean>(k.length + 1).fill(false);
    if (word === '#') {
      let any = false;
      for (let j = 0; j <= k.length; j++) {
        any = any || reachable[j] === true;
        next[j] = any;
      }
    } else {
      for (let j = 0; j < k.length; j++) {
        if (reachable[j] && (word === '*' || word === k[j])) next[j + 1] = true;
      }
    }
    reachable = next;
  }
  return reachable[k.length] === true;
}

export function bindingMatches(type: ExchangeType, bindingKey: string, routingKey: string): boolean {
  switch (type) {
    case 'fanout':
      return true;
    case 'direct':
      return bindingKey === routingKey;
    case 'topic':
      return topicMatches(bindingKey, routingKey);
  }
}

const QueueArgumentsSchema = z
  .object({
    'x-message-ttl': z.number().int().nonnegative().optional(),
    'x-max-length': z.number().int().nonnegative().optional(),
    'x-overflow': z.literal('drop-head').optional(),
    'x-expires': z.number().int().positive().optional(),
    'x-dead-letter-exchange': z.string().optional(),
    'x-dead-letter-routing-key': z.string().optional(),
  })
  .strict();

/**
 * Checks queue arguments from configuration (a `QueueSpec`) against what both
 * transports implement, so a queue never behaves differently in standalone mode.
 */
export function parseQueueArguments(raw: Readonly<Record<string, unknown>> | undefined): QueueArguments {
  const parsed = QueueArgumentsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new AppError('BROKER_TOPOLOGY_CONFLICT', `Unsupported queue arguments: ${parsed.error.message}`, {
      issues: parsed.error.issues,
    });
  }
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(parsed.data)) if (value !== undefined) out[key] = value;
  return out as QueueArguments;
}
