import { describe, expect, it } from 'vitest';
import { type CursorMember, deriveStatus, statusText } from './status.js';

const me = 'me';
const joined = '2025-01-01T00:00:00.000Z';
const member = (userId: string, deliveredSeq: number, readSeq: number, joinedAt = joined): CursorMember => ({
  userId,
  deliveredSeq,
  readSeq,
  joinedAt,
});
const sentAt = '2025-02-01T10:00:00.000Z';

describe('deriveStatus', () => {
  it('is pending without a seq and failed once refused', () => {
    expect(deriveStatus({ createdAt: sentAt }, [], me).status).toBe('pending');
    expect(deriveStatus({ createdAt: sentAt, failed: true }, [], me).status).toBe('failed');
  });

  it('follows the other member of a direct chat: sent, delivered, read', () => {
    const message = { seq: 5, createdAt: sentAt };
    expect(deriveStatus(message, [member(me, 5, 5), member('bob', 4, 4)], me).status).toBe('sent');
    expect(deriveStatus(message, [member(me, 5, 5), member('bob', 5, 4)], me).status).toBe('delivered');
    expect(deriveStatus(message, [member(me, 5, 5), member('bob', 9, 7)], me).status).toBe('read');
  });

  it('counts a read as a delivery even when the delivered cursor lags', () => {
    expect(deriveStatus({ seq: 3, createdAt: sentAt }, [member('bob', 1, 3)], me)).toEqual({
      status: 'read',
      recipients: 1,
      delivered: 1,
      read: 1,
    });
  });

  it('counts a group: read only when everyone has read', () => {
    const members = [member(me, 10, 10), member('a', 10, 10), member('b', 10, 8), member('c', 7, 7)];
    const summary = deriveStatus({ seq: 9, createdAt: sentAt }, members, me);
    expect(summary).toEqual({ status: 'sent', recipients: 3, delivered: 2, read: 1 });
    expect(statusText(summary, true)).toBe('Sent · read by 1 of 3');
    const all = deriveStatus({ seq: 7, createdAt: sentAt }, members, me);
    expect(all.status).toBe('read');
    expect(statusText(all, true)).toBe('Read by all 3');
  });

  it('leaves out members who joined after the message', () => {
    const members = [member(me, 4, 4), member('a', 4, 4), member('late', 0, 0, '2025-03-01T00:00:00.000Z')];
    expect(deriveStatus({ seq: 4, createdAt: sentAt }, members, me)).toMatchObject({
      status: 'read',
      recipients: 1,
    });
  });

  it('stays sent in a group with nobody else in it', () => {
    expect(deriveStatus({ seq: 1, createdAt: sentAt }, [member(me, 1, 1)], me).status).toBe('sent');
  });
});
