import type { ServerFrame } from '@im/contracts';
import WebSocket from 'ws';

/** A bare WebSocket speaking the protocol by hand, for tests that need to misbehave. */
export class RawSocket {
  readonly frames: ServerFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  /** Opens and authenticates with an Authorization header; resolves on `ready`. */
  static async open(url: string, token: string): Promise<RawSocket> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const socket = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await socket.next((f) => f.type === 'ready');
    return socket;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Resolves with the first frame (received from now on, or already waiting after `from`) matching. */
  async next(match: (frame: ServerFrame) => boolean, from = 0, timeoutMs = 10_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching frame in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async untilClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake (a dead network, a killed client). */
  terminate(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
