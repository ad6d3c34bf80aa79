/**
 * Status of my own messages, derived from the members' receipt cursors
 * (delivered-up-to and read-up-to per member) as the server defines them:
 * a message is delivered to m when m.deliveredSeq ≥ seq and read when
 * m.readSeq ≥ seq. Nothing is stored per message per recipient.
 */

export type MessageStatus = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface CursorMember {
  readonly userId: string;
  readonly deliveredSeq: number;
  readonly readSeq: number;
  /** When the member joined; members who joined after a message are not counted for it. */
  readonly joinedAt: string;
}

export interface OwnMessage {
  /** Unset while the server has not stored it. */
  readonly seq?: number | undefined;
  readonly createdAt: string;
  readonly failed?: boolean | undefined;
}

export interface StatusSummary {
  status: MessageStatus;
  /** Recipients counted for this message (other members present when it was sent). */
  recipients: number;
  delivered: number;
  read: number;
}

export function deriveStatus(
  message: OwnMessage,
  members: readonly CursorMember[],
  me: string,
): StatusSummary {
  if (message.seq === undefined) {
    return { status: message.failed ? 'failed' : 'pending', recipients: 0, delivered: 0, read: 0 };
  }
  const seq = message.seq;
  const sentAt = Date.parse(message.createdAt);
  let recipients = 0;
  let delivered = 0;
  let read = 0;
  for (const member of members) {
    if (member.userId === me) continue;
    if (Date.parse(member.joinedAt) > sentAt) continue;
    recipients++;
    // Reading implies delivery even if the delivered cursor lags behind.
    if (member.readSeq >= seq) {
      read++;
      delivered++;
    } else if (member.deliveredSeq >= seq) {
      delivered++;
    }
  }
  let status: MessageStatus = 'sent';
  if (recipients > 0 && read === recipients) status = 'read';
  else if (recipients > 0 && delivered === recipients) status = 'delivered';
  return { status, recipients, delivered, read };
}

/** Words for screen readers and tooltips ("Read by 2 of 3"). */
export function statusText(summary: StatusSummary, group: boolean): string {
  switch (summary.status) {
    case 'pending':
      return 'Sending…';
    case 'failed':
      return 'Not sent';
    case 'sent':
      if (group && summary.read > 0) return `Sent · read by ${summary.read} of ${summary.recipients}`;
      if (group && summary.delivered > 0)
        return `Sent · delivered to ${summary.delivered} of ${summary.recipients}`;
      return 'Sent';
    case 'delivered':
      if (group && summary.read > 0) return `Delivered · read by ${summary.read} of ${summary.recipients}`;
      return 'Delivered';
    case 'read':
      return group ? `Read by all ${summary.recipients}` : 'Read';
  }
}
