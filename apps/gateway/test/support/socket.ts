import { ServerFrame, type ServerFrameOf } from '@im/contracts';
import { vi } from 'vitest';
import WebSocket from 'ws';

export interface OpenOptions {
  /** Sent as `Authorization: Bearer <token>` on the upgrade. */
  token?: string;
  origin?: string;
  headers?: Record<string, string>;
  /** Answer the server's pings (default true). False plays a dead peer. */
  autoPong?: boolean;
}

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A raw protocol client for tests: keeps every frame the server sent, parsed
 * and checked against the ServerFrame schema, and how the socket closed.
 */
export class TestSocket {
  readonly frames: ServerFrame[] = [];
  /** Frames that did not match the ServerFrame schema (a test should expect none). */
  readonly invalid: string[] = [];
  closed: Closed | undefined;
  readonly #closedPromise: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${String(data)}>` : data.toString();
      let parsed: ReturnType<typeof ServerFrame.safeParse> | undefined;
      try {
        parsed = ServerFrame.safeParse(JSON.parse(text));
      } catch {
        // Recorded below as invalid.
        parsed = undefined;
      }
      if (parsed?.success) this.frames.push(parsed.data);
      else this.invalid.push(text);
    });
    this.#closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
    });
    // Errors are followed by a close; the close is what tests look at.
    ws.on('error', () => undefined);
  }

  static open(url: string, options: OpenOptions = {}): Promise<TestSocket> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.origin) headers.origin = options.origin;
    const ws = new WebSocket(url, { headers, autoPong: options.autoPong ?? true });
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  /** Opens and waits for `ready` and the end of the drain. */
  static async live(url: string, token: string): Promise<TestSocket> {
    const socket = await TestSocket.open(url, { token });
    await socket.waitFor('sync.done');
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  of<T extends ServerFrame['type']>(type: T): Array<ServerFrameOf<T>> {
    return this.frames.filter((f): f is ServerFrameOf<T> => f.type === type);
  }

  /** Waits until a frame of `type` matching `predicate` has arrived; returns the first such. */
  async waitFor<T extends ServerFrame['type']>(
    type: T,
    predicate: (frame: ServerFrameOf<T>) => boolean = () => true,
    timeout = 10_000,
  ): Promise<ServerFrameOf<T>> {
    return vi.waitFor(
      () => {
        const found = this.of(type).find(predicate);
        if (!found)
          throw new Error(`no '${type}' frame yet (have: ${this.frames.map((f) => f.type).join(', ')})`);
        return found;
      },
      { timeout, interval: 10 },
    );
  }

  /** Waits for the close (the server's or a drop). */
  async waitClosed(timeout = 10_000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.#closedPromise,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`socket not closed within ${timeout} ms`)), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Round trip: a `ping` frame answered with a `pong` carrying the same ref. */
  async roundTrip(ref: string): Promise<void> {
    this.send({ type: 'ping', ref });
    await this.waitFor('pong', (f) => f.ref === ref);
  }

  close(): Promise<Closed> {
    if (!this.closed) this.ws.close(1000);
    return this.waitClosed();
  }
}
