import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** Where the proxy listens; default 127.0.0.1 on a port the OS picks. */
  host?: string;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Kills every open connection at once (both sides see a reset). New connections are still accepted. */
  cutAll(): void;
  /** Stops moving bytes in both directions (connections stay open and silent, like a stalled network). */
  pause(): void;
  /** Moves bytes again, including what was held back. */
  resume(): void;
  /** Refuses new connections (closes them on accept) until `accept()`: the target looks down. */
  refuse(): void;
  accept(): void;
  /** Connections currently open through the proxy. */
  connectionCount(): number;
  /** Connections accepted (and forwarded) so far. */
  totalConnections(): number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Chunks held back while paused, in arrival order, with the socket each is for. */
  readonly held: Array<{ to: Socket; chunk: Buffer }>;
}

/**
 * A TCP proxy on a random local port that forwards to `target` and can fail on
 * command: put it between one client and a server (RabbitMQ, Postgres) to cut,
 * stall or refuse that client's connections without disturbing anyone else
 * using the same server.
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  let refusing = false;
  let total = 0;

  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    total++;
    const upstream = createConnection({ host: options.target.host, port: options.target.port });
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    const teardown = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    // Either side failing or ending takes the other down with it, as a real middlebox would.
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        if (paused) pair.held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on('error', teardown);
      from.on('close', teardown);
    }
  });

  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tcp proxy: no address');

  const resumeAll = () => {
    paused = false;
    for (const pair of pairs) {
      for (const { to, chunk } of pair.held.splice(0)) to.write(chunk);
    }
  };

  return {
    host: address.address,
    port: address.port,
    cutAll() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      }
    },
    pause() {
      paused = true;
    },
    resume: resumeAll,
    refuse() {
      refusing = true;
    },
    accept() {
      refusing = false;
    },
    connectionCount: () => pairs.size,
    totalConnections: () => total,
    async close() {
      refusing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await closed;
    },
  };
}
