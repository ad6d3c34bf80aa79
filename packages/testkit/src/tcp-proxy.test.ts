import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe('startTcpProxy', () => {
  let echo: Server;
  let echoPort: number;
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => {
        // The proxy resets its upstream side on cutAll(); the echo server just lets that connection go.
      });
      socket.pipe(socket);
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const address = echo.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    echoPort = address.port;
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await new Promise((resolve) => echo.close(resolve));
  });

  async function proxy(): Promise<TcpProxy> {
    const p = await startTcpProxy({ target: { host: '127.0.0.1', port: echoPort } });
    proxies.push(p);
    return p;
  }

  async function client(
    p: TcpProxy,
  ): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
    const socket = createConnection({ host: p.host, port: p.port });
    let text = '';
    let closed = false;
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('error', () => {
      // A cut shows up as ECONNRESET; `closed` records it.
    });
    socket.on('close', () => {
      closed = true;
    });
    await once(socket, 'connect');
    return { socket, received: () => text, closed: () => closed };
  }

  it('forwards both ways', async () => {
    const p = await proxy();
    const c = await client(p);
    c.socket.write('hello');
    await vi.waitFor(() => expect(c.received()).toBe('hello'));
    expect(p.connectionCount()).toBe(1);
    c.socket.destroy();
    await vi.waitFor(() => expect(p.connectionCount()).toBe(0));
  });

  it('holds bytes while paused and delivers them in order on resume', async () => {
    const p = await proxy();
    const c = await client(p);
    p.pause();
    c.socket.write('one ');
    c.socket.write('two');
    // A round trip to the echo server that bypasses the proxy: time enough for 'one two' to have come back
    // through an unpaused proxy.
    const bypass = createConnection({ host: '127.0.0.1', port: echoPort });
    bypass.write('ping');
    await once(bypass, 'data');
    bypass.destroy();
    expect(c.received()).toBe('');
    p.resume();
    await vi.waitFor(() => expect(c.received()).toBe('one two'));
    c.socket.destroy();
  });

  it('cuts every connection, and still accepts new ones', async () => {
    const p = await proxy();
    const a = await client(p);
    const b = await client(p);
    await vi.waitFor(() => expect(p.connectionCount()).toBe(2));
    p.cutAll();
    await vi.waitFor(() => expect(a.closed() && b.closed()).toBe(true));
    const c = await client(p);
    c.socket.write('again');
    await vi.waitFor(() => expect(c.received()).toBe('again'));
    expect(p.totalConnections()).toBe(3);
    c.socket.destroy();
  });

  it('refuses new connections until told to accept again', async () => {
    const p = await proxy();
    p.refuse();
    const refused = createConnection({ host: p.host, port: p.port });
    const outcome = await new Promise<string>((resolve) => {
      refused.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      refused.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed']).toContain(outcome);
    expect(p.totalConnections()).toBe(0);
    p.accept();
    const c = await client(p);
    c.socket.write('back');
    await vi.waitFor(() => expect(c.received()).toBe('back'));
    c.socket.destroy();
  });
});
