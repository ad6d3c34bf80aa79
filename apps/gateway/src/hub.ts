import type { MessageContext, Subscription } from '@im/broker';
import { DeliveryKeys, gatewayQueue, type MessagePayload, type QueueSpec } from '@im/contracts';
import type { Logger } from '@im/logger';
import type { WebSocket } from 'ws';
import { Connection, type ConnectionRegistry, type GatewayContext } from './connection.js';
import { serializeFrame } from './frames.js';

/**
 * Counts broker connections: the AMQP transport's connection count (it grows
 * on every reconnect), else 1 while connected. A change means the live path
 * was down and frames may have been lost.
 */
function connectionEpoch(transport: object & { isConnected(): boolean }): number {
  const count = (transport as { connectionCount?: unknown }).connectionCount;
  if (typeof count === 'number') return count;
  return transport.isConnected() ? 1 : 0;
}

export interface HubOptions {
  /** Re-announce every connected device as online this often (the message service expires it after 90 s). */
  presenceRefreshMs: number;
  /** On shutdown, how long sockets get to finish their close handshake before they are terminated. */
  closeGraceMs: number;
  /** After the broker connection came back, every connection is drained again within this window (spread). */
  resyncSpreadMs: number;
}

/**
 * All connections of this gateway instance: who is connected (by user and by
 * device), which routing keys are bound to the instance's queue, the consumer
 * that dispatches `delivery.frame.v1` and `session.revoked.v1` from it,
 * presence, heartbeats and shutdown.
 */
export class Hub implements ConnectionRegistry {
  readonly queue: QueueSpec;
  readonly #all = new Set<Connection>();
  readonly #byUser = new Map<string, Set<Connection>>();
  readonly #byDevice = new Map<string, Set<Connection>>();
  /** Routing keys bound now, and the chain of bind/unbind operations of each key (one at a time per key). */
  readonly #bound = new Set<string>();
  readonly #keyOps = new Map<string, Promise<void>>();
  readonly #background = new Set<Promise<unknown>>();
  #subscription: Subscription | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #presenceTimer: NodeJS.Timeout | undefined;
  #brokerTimer: NodeJS.Timeout | undefined;
  #brokerEpoch = 0;
  #stopping = false;
  readonly #log: Logger;

  constructor(
    private readonly context: GatewayContext,
    private readonly options: HubOptions,
  ) {
    this.queue = gatewayQueue(context.instanceId);
    this.#log = context.logger.child({ component: 'hub' });
  }

  get connectionCount(): number {
    return this.#all.size;
  }

  /** True from the moment `stop()` begins. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Declares the topology and this instance's queue, and starts consuming it.
   * A queue left by a crashed copy with the same instance id is deleted first:
   * its bindings name users who are not connected here, and would make them
   * look online to the delivery worker (no offline notification) for good.
   */
  async start(): Promise<void> {
    const { broker, limits } = this.context;
    await broker.declareTopology();
    const { main, deadLetter } = broker.queueNames(this.queue);
    await broker.transport.deleteQueue(main);
    await broker.transport.deleteQueue(deadLetter);
    this.#subscription = await broker.consume(this.queue, {
      'delivery.frame.v1': async (data, context) => this.#dispatch(data, context),
      'session.revoked.v1': async (data) => this.#revoke(data),
    });
    this.#heartbeatTimer = setInterval(() => {
      const now = Date.now();
      for (const connection of this.#all) connection.heartbeat(now);
    }, limits.heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
    this.#presenceTimer = setInterval(() => this.#refreshPresence(), this.options.presenceRefreshMs);
    this.#presenceTimer.unref();
    this.#brokerEpoch = connectionEpoch(broker.transport);
    this.#brokerTimer = setInterval(() => this.#watchBroker(), 250);
    this.#brokerTimer.unref();
  }

  /**
   * Live frames published while this gateway was cut off from the broker (or
   * queued in a queue a broker restart dropped) are lost to the live path.
   * Postgres has them: once the connection is back, drain every connection
   * again, spread over a few seconds so the message service is not hit at once.
   */
  #watchBroker(): void {
    const epoch = connectionEpoch(this.context.broker.transport);
    if (epoch === this.#brokerEpoch || epoch === 0) return;
    this.#brokerEpoch = epoch;
    const connections = [...this.#all];
    this.#log.warn(
      { connections: connections.length },
      'broker connection restored; draining every connection again',
    );
    for (const connection of connections) {
      const delay = Math.floor(Math.random() * this.options.resyncSpreadMs);
      setTimeout(() => connection.resync(), delay).unref();
    }
  }

  /** Takes a freshly upgraded socket. */
  accept(socket: WebSocket, authorization: string | undefined): void {
    if (this.#stopping) {
      socket.close(1012, 'Server restarting; reconnect');
      return;
    }
    const connection = new Connection(socket, this.context, this, (c) => this.detach(c));
    this.#all.add(connection);
    this.context.metrics.connections.set(this.#all.size);
    connection.start(authorization);
  }

  // ---- ConnectionRegistry -----------------------------------------------------

  register(connection: Connection): boolean {
    const identity = connection.identity;
    if (!identity || !connection.isOpen) return false;
    const mine = this.#byUser.get(identity.userId);
    if (mine && mine.size >= this.context.limits.maxConnectionsPerUser) return false;
    add(this.#byUser, identity.userId, connection);
    const firstOfDevice = add(this.#byDevice, identity.deviceId, connection);
    if (firstOfDevice) this.#publishPresence(identity.userId, identity.deviceId, 'online');
    return true;
  }

  async attach(connection: Connection): Promise<void> {
    const identity = connection.identity;
    if (!identity) throw new Error('attach before authentication');
    await Promise.all([
      this.#syncBinding(DeliveryKeys.user(identity.userId)),
      this.#syncBinding(DeliveryKeys.device(identity.deviceId)),
    ]);
  }

  detach(connection: Connection): void {
    this.#all.delete(connection);
    this.context.metrics.connections.set(this.#all.size);
    const identity = connection.identity;
    if (!identity) return;
    const wasRegistered = this.#byDevice.get(identity.deviceId)?.has(connection) ?? false;
    remove(this.#byUser, identity.userId, connection);
    const lastOfDevice = remove(this.#byDevice, identity.deviceId, connection);
    if (!wasRegistered) return;
    if (lastOfDevice) this.#publishPresence(identity.userId, identity.deviceId, 'offline');
    // On shutdown the queue is deleted with all its bindings at once.
    if (this.#stopping) return;
    this.#track(this.#syncBinding(DeliveryKeys.user(identity.userId)).catch(() => undefined));
    this.#track(this.#syncBinding(DeliveryKeys.device(identity.deviceId)).catch(() => undefined));
  }

  // ---- shutdown -----------------------------------------------------------------

  /**
   * Stops accepting, closes every socket with 1012 (clients reconnect to
   * another gateway), publishes their devices offline, stops the consumer and
   * deletes the instance's queue with its bindings.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#presenceTimer);
    clearInterval(this.#brokerTimer);
    const open = [...this.#all];
    for (const connection of open) connection.fail('WS_GOING_AWAY');
    this.#log.info({ connections: open.length }, 'closed all connections (1012)');
    await Promise.allSettled([...this.#background]);
    this.#log.debug('presence published; cancelling the consumer');
    await this.#subscription?.cancel();
    this.#log.debug('consumer cancelled; deleting the gateway queue');
    const { main, deadLetter } = this.context.broker.queueNames(this.queue);
    for (const name of [main, deadLetter]) {
      try {
        await this.context.broker.transport.deleteQueue(name);
      } catch (error) {
        // It expires by itself (x-expires) a minute after the last consumer left.
        this.#log.warn({ err: error, queue: name }, 'could not delete the gateway queue');
      }
    }
  }

  /** Sockets still finishing their close handshake after `stop()` are cut after the grace period. */
  terminateStragglers(sockets: Iterable<WebSocket>): Promise<void> {
    const open = [...sockets].filter((s) => s.readyState !== s.CLOSED);
    if (open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = open.length;
      const timer = setTimeout(() => {
        for (const socket of open) socket.terminate();
        resolve();
      }, this.options.closeGraceMs);
      for (const socket of open) {
        socket.once('close', () => {
          left -= 1;
          if (left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
  }

  // ---- broker → connections ---------------------------------------------------

  async #dispatch(data: MessagePayload<'delivery.frame.v1'>, context: MessageContext): Promise<void> {
    const key = context.routingKey;
    let targets: Iterable<Connection> | undefined;
    if (key === DeliveryKeys.broadcast) targets = this.#all;
    else if (key.startsWith('user.')) targets = this.#byUser.get(key.slice('user.'.length));
    else if (key.startsWith('device.')) targets = this.#byDevice.get(key.slice('device.'.length));
    if (!targets) return;
    const text = serializeFrame(data.frame);
    for (const connection of targets) {
      if (!connection.identity) continue;
      if (data.exceptDeviceId !== undefined && connection.identity.deviceId === data.exceptDeviceId) continue;
      connection.deliver(data.frame, text);
    }
  }

  async #revoke(data: MessagePayload<'session.revoked.v1'>): Promise<void> {
    this.context.revocations?.apply(data);
    // Every connection of the device, including one still setting up (verified, not registered yet).
    const doomed = [...this.#all].filter((c) => c.identity?.deviceId === data.sessionId);
    if (doomed.length === 0) return;
    this.#log.info({ deviceId: data.sessionId, reason: data.reason }, 'session revoked; closing its sockets');
    for (const connection of doomed) connection.fail('AUTH_SESSION_REVOKED');
  }

  // ---- bindings -------------------------------------------------------------------

  /**
   * Makes the binding of `key` match whether a local connection needs it. One
   * operation per key at a time, each deciding from the state when it runs,
   * so a quick connect-disconnect-connect ends bound.
   */
  #syncBinding(key: string): Promise<void> {
    const previous = this.#keyOps.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const wanted = this.#wants(key);
        if (wanted && !this.#bound.has(key)) {
          await this.context.broker.bindQueue(this.queue, 'delivery', key);
          this.#bound.add(key);
        } else if (!wanted && this.#bound.has(key) && !this.#stopping) {
          try {
            await this.context.broker.unbindQueue(this.queue, 'delivery', key);
            this.#bound.delete(key);
          } catch (error) {
            // A binding left behind only routes frames nobody here wants; the next sync retries.
            this.#log.warn({ err: error, key }, 'unbind failed');
            throw error;
          }
        }
      });
    this.#keyOps.set(key, next);
    void next
      .finally(() => {
        if (this.#keyOps.get(key) === next) this.#keyOps.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  #wants(key: string): boolean {
    if (key.startsWith('user.')) return (this.#byUser.get(key.slice('user.'.length))?.size ?? 0) > 0;
    if (key.startsWith('device.')) return (this.#byDevice.get(key.slice('device.'.length))?.size ?? 0) > 0;
    return false;
  }

  // ---- presence -------------------------------------------------------------------

  #publishPresence(userId: string, deviceId: string, status: 'online' | 'offline'): void {
    this.#track(
      this.context.broker
        .publish('presence.changed.v1', {
          userId,
          deviceId,
          gatewayId: this.context.instanceId,
          status,
          at: new Date().toISOString(),
        })
        .catch((error: unknown) => {
          // The message service expires a device not refreshed for 90 s, so a lost update heals itself.
          this.#log.warn({ err: error, deviceId, status }, 'presence not published');
        }),
    );
  }

  #refreshPresence(): void {
    for (const [deviceId, connections] of this.#byDevice) {
      const userId = connections.values().next().value?.identity?.userId;
      if (userId) this.#publishPresence(userId, deviceId, 'online');
    }
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    void promise.finally(() => this.#background.delete(promise));
  }
}

/** Adds to a set in a map; true when it is the first. */
function add<V>(map: Map<string, Set<V>>, key: string, value: V): boolean {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
  return set.size === 1;
}

/** Removes from a set in a map; true when it was the last. */
function remove<V>(map: Map<string, Set<V>>, key: string, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value)) return false;
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
