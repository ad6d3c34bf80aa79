import { ImClient, type WebSocketConstructor, type WebSocketLike } from '@im/client';
import WebSocket from 'ws';
import type { Session } from './api/session.js';
import { webSocketUrl } from './store/server.js';

export interface ConnectOptions {
  /**
   * Do not acknowledge the messages the server streams to this connection.
   * All `im` commands of one login are one device; a one-shot `im send` must
   * not mark that device's offline queue as received, or `im tail` and
   * `im chat` would never show those messages.
   */
  sendOnly?: boolean;
}

/** A protocol client for this session's device, over the `ws` package. Call `connect()` to start. */
export function createClient(session: Session, options: ConnectOptions = {}): ImClient {
  const base = WebSocket as unknown as WebSocketConstructor;
  return new ImClient({
    url: webSocketUrl(session.server),
    token: () => session.accessToken(),
    WebSocket: options.sendOnly ? withoutAcks(base) : base,
    api: { baseUrl: session.server },
    reconnect: { initialDelayMs: 500, maxDelayMs: 15_000 },
  });
}

type Handler = ((event: never) => void) | null;

/** A WebSocket class that drops the client's `ack` frames (see `ConnectOptions.sendOnly`). */
export function withoutAcks(Base: WebSocketConstructor): WebSocketConstructor {
  return class AcklessSocket implements WebSocketLike {
    readonly #socket: WebSocketLike;
    constructor(url: string, protocols?: string | string[], init?: { headers?: Record<string, string> }) {
      this.#socket = new Base(url, protocols, init);
    }
    get readyState(): number {
      return this.#socket.readyState;
    }
    send(data: string): void {
      if (!isAck(data)) this.#socket.send(data);
    }
    close(code?: number, reason?: string): void {
      this.#socket.close(code, reason);
    }
    get onopen(): Handler {
      return this.#socket.onopen;
    }
    set onopen(handler: Handler) {
      this.#socket.onopen = handler;
    }
    get onmessage(): Handler {
      return this.#socket.onmessage;
    }
    set onmessage(handler: Handler) {
      this.#socket.onmessage = handler;
    }
    get onclose(): Handler {
      return this.#socket.onclose;
    }
    set onclose(handler: Handler) {
      this.#socket.onclose = handler;
    }
    get onerror(): Handler {
      return this.#socket.onerror;
    }
    set onerror(handler: Handler) {
      this.#socket.onerror = handler;
    }
  };
}

function isAck(data: string): boolean {
  try {
    const frame: unknown = JSON.parse(data);
    return typeof frame === 'object' && frame !== null && 'type' in frame && frame.type === 'ack';
  } catch {
    // Not JSON: not an ack; let the server judge it.
    return false;
  }
}
