import { isAppError, type MessageName, type MessagePayload } from '@im/contracts';
import type { Logger } from '@im/logger';
import type { OutboxRow } from '../repositories/outbox.js';
import type { MessageStore, Repositories } from '../repositories/store.js';
import { toStoredMessage } from './mapping.js';
import type { OutboxSignal } from './outbox-signal.js';
import type { EventPublisher } from './ports.js';

export interface OutboxRelayOptions {
  readonly store: MessageStore;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly signal: OutboxSignal;
  /** Rows claimed per transaction. Default 200. */
  readonly batchSize?: number;
  /** How often an idle relay looks for rows written by other processes, ms. Default 250. */
  readonly pollIntervalMs?: number;
  /** Told the result of every pass that found rows (metrics). */
  readonly onPass?: (pass: RelayPass) => void;
}

export interface RelayPass {
  /** Published (confirmed by the broker) and deleted. */
  readonly published: number;
  /** Left in the outbox for a later pass (the broker refused or did not confirm). */
  readonly failed: number;
  /** Could never be published (invalid payload, message gone): logged and deleted. */
  readonly dropped: number;
}

/**
 * The transactional outbox's relay. In one transaction it claims the oldest
 * rows (`FOR UPDATE SKIP LOCKED`, so any number of relays share the work),
 * publishes them with publisher confirms, and deletes the confirmed ones. A
 * crash before the commit leaves the rows to the next relay: an event may be
 * published twice (with the same message id, so consumers drop the copy),
 * never zero times.
 *
 * `message.stored.v1` payloads are built at publish time from the message row
 * and the members who may see it (joined before it), which keeps the outbox
 * row small and sends nothing to a member removed in the meantime.
 */
export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  #loop: Promise<void> | undefined;
  #stopping = false;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
    this.#batchSize = options.batchSize ?? 200;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#loop = this.#run();
  }

  /** Finishes the pass in progress (its transaction commits or rolls back) and stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#options.signal.notify();
    await this.#loop;
    this.#loop = undefined;
  }

  /** One pass: claim, publish, delete. */
  publishPending(): Promise<RelayPass> {
    return this.#options.store.transaction(
      async (repos) => {
        const rows = await repos.outbox.claim(this.#batchSize);
        if (rows.length === 0) return { published: 0, failed: 0, dropped: 0 };
        const prepared = await this.#prepare(repos, rows);
        const results = await Promise.all(prepared.map((p) => this.#publish(p)));
        const done = prepared.filter((_, i) => results[i] !== 'failed').map((p) => p.row.id);
        await repos.outbox.delete(done);
        return {
          published: results.filter((r) => r === 'published').length,
          failed: results.filter((r) => r === 'failed').length,
          dropped: results.filter((r) => r === 'dropped').length,
        };
      },
      // Publishing happens inside the transaction; give slow confirms room.
      { timeoutMs: 60_000, conflictRetries: 0 },
    );
  }

  async #run(): Promise<void> {
    const { logger, signal } = this.#options;
    let backoffMs = 0;
    while (!this.#stopping) {
      try {
        const pass = await this.publishPending();
        if (pass.published + pass.failed + pass.dropped > 0) this.#options.onPass?.(pass);
        if (pass.failed > 0) {
          backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5_000);
          logger.warn({ ...pass, retryInMs: backoffMs }, 'outbox: some events were not published; retrying');
          await signal.wait(backoffMs);
        } else {
          backoffMs = 0;
          if (pass.published + pass.dropped < this.#batchSize) await signal.wait(this.#pollIntervalMs);
        }
      } catch (error) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5_000);
        logger.error({ err: error, retryInMs: backoffMs }, 'outbox relay pass failed; retrying');
        await signal.wait(backoffMs);
      }
    }
  }

  async #prepare(repos: Repositories, rows: readonly OutboxRow[]): Promise<Prepared[]> {
    const messageIds = rows.flatMap((r) => (r.messageId ? [r.messageId] : []));
    const messages = await repos.messages.getMany(messageIds);
    const members = await repos.members.listMany([...new Set(messages.map((m) => m.conversationId))]);
    const byId = new Map(messages.map((m) => [m.id, m]));
    return rows.map((row): Prepared => {
      if (row.name !== 'message.stored.v1') return { row, name: row.name, payload: row.payload };
      const message = row.messageId ? byId.get(row.messageId) : undefined;
      if (!message)
        return { row, name: row.name, payload: undefined, missing: 'the message no longer exists' };
      const payload: MessagePayload<'message.stored.v1'> = {
        message: toStoredMessage(message),
        memberIds: members
          .filter((m) => m.conversationId === message.conversationId && m.joinSeq < message.seq)
          .map((m) => m.userId),
      };
      return { row, name: row.name, payload };
    });
  }

  async #publish(prepared: Prepared): Promise<'published' | 'failed' | 'dropped'> {
    const { logger, publisher } = this.#options;
    const { row } = prepared;
    if (prepared.missing) {
      logger.warn(
        { eventId: row.eventId, name: row.name, reason: prepared.missing },
        'outbox: event dropped',
      );
      return 'dropped';
    }
    try {
      // The payload is validated against the catalog by publish(); an invalid one throws a permanent error.
      await publisher.publish(prepared.name, prepared.payload as MessagePayload<typeof prepared.name>, {
        messageId: row.eventId,
      });
      return 'published';
    } catch (error) {
      if (isAppError(error) && !error.retryable) {
        logger.error(
          { err: error, eventId: row.eventId, name: row.name },
          'outbox: event can never be published; dropped',
        );
        return 'dropped';
      }
      logger.debug({ err: error, eventId: row.eventId, name: row.name }, 'outbox: publish failed');
      return 'failed';
    }
  }
}

interface Prepared {
  readonly row: OutboxRow;
  readonly name: MessageName;
  readonly payload: unknown;
  readonly missing?: string;
}
