import { randomUUID } from 'node:crypto';
import type { StoredMessage } from '@im/contracts';
import { describe, expect, it } from 'vitest';
import { ConversationLog } from './conversation-log.js';

const conversationId = randomUUID();
const message = (seq: number) => ({ conversationId, seq, id: `m${seq}` }) as unknown as StoredMessage;
const seqs = (messages: StoredMessage[]) => messages.map((m) => m.seq);

describe('ConversationLog', () => {
  it('hands messages over in seq order, once each, holding those after a gap until it is filled', () => {
    const log = new ConversationLog(0);
    expect(seqs(log.accept(message(1)).deliver)).toEqual([1]);
    expect(seqs(log.accept(message(3)).deliver)).toEqual([]);
    expect(log.hasGap).toBe(true);
    expect(log.firstAhead).toBe(3);
    expect(log.accept(message(3))).toEqual({ deliver: [], duplicate: true });
    expect(seqs(log.accept(message(2)).deliver)).toEqual([2, 3]);
    expect(log.hasGap).toBe(false);
    expect(log.contiguous).toBe(3);
    expect(log.accept(message(1))).toEqual({ deliver: [], duplicate: true });
  });

  it('takes the first message as the base when no cursor is known, and still hands over an older late one once', () => {
    const log = new ConversationLog();
    expect(log.contiguous).toBeUndefined();
    expect(seqs(log.accept(message(10)).deliver)).toEqual([10]);
    expect(seqs(log.accept(message(11)).deliver)).toEqual([11]);
    expect(seqs(log.accept(message(9)).deliver)).toEqual([9]);
    expect(log.accept(message(9)).duplicate).toBe(true);
    expect(log.contiguous).toBe(11);
  });

  it('moves past messages that no longer exist and releases what waited behind them', () => {
    const log = new ConversationLog(4);
    log.accept(message(8));
    log.accept(message(9));
    expect(seqs(log.skipTo(7))).toEqual([8, 9]);
    expect(log.contiguous).toBe(9);
    expect(log.hasGap).toBe(false);
  });
});
