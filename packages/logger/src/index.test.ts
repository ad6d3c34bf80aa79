import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON with service, version and instance and redacts secrets', async () => {
    const { stream, lines } = capture();
    const log = createLogger({ service: 'auth', version: '1.2.3', instance: 'a1', destination: stream });
    log.info(
      { password: 'hunter2', body: { refreshToken: 'r' }, req: { headers: { authorization: 'Bearer x' } } },
      'login',
    );
    await expect.poll(() => lines.length).toBe(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      service: 'auth',
      version: '1.2.3',
      instance: 'a1',
      level: 'info',
      msg: 'login',
    });
    expect(line.password).toBe('[redacted]');
    expect(line.body).toEqual({ refreshToken: '[redacted]' });
    expect(JSON.stringify(line)).not.toContain('hunter2');
    expect(JSON.stringify(line)).not.toContain('Bearer x');
  });
});
