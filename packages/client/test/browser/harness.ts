/**
 * Runs in Chromium (bundled by test/browser.test.ts): the client with the
 * browser's own WebSocket, so it authenticates with an `auth` frame and the
 * browser sends its Origin.
 */
import { type DisconnectInfo, ImClient } from '../../src/index.js';

const seqs: number[] = [];

const harness = {
  async connect(
    url: string,
    token: string,
  ): Promise<{ state: string; identity: unknown; hasWebSocket: boolean }> {
    const client = new ImClient({ url, token: () => token });
    client.on('message', (m) => seqs.push(m.seq));
    client.connect();
    await client.until('live', 10_000);
    return { state: client.state, identity: client.identity, hasWebSocket: typeof WebSocket === 'function' };
  },
  seqs: (): number[] => seqs,
  async refused(url: string, token: string): Promise<DisconnectInfo> {
    const client = new ImClient({ url, token: () => token });
    const disconnected = client.next('disconnected', () => true, 10_000);
    client.connect();
    return disconnected;
  },
};

export type Harness = typeof harness;
(globalThis as { imTest?: Harness }).imTest = harness;
