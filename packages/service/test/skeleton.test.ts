import { silentLogger } from '@im/logger';
import { freePort, startProcess, tsxCommand } from '@im/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { Lifecycle } from '../src/index.js';
import { build } from './fixtures/example-service.js';

describe('service skeleton (in-process, inject)', async () => {
  let up = true;
  const health = { draining: false };
  const app = await build({ logger: silentLogger(), health, dependencyUp: () => up });
  afterAll(() => app.close());

  it('serves a validated route', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/greetings',
      payload: { name: 'ann', times: 2 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ text: 'hello ann, hello ann' });
  });

  it('answers schema violations with VALIDATION_FAILED naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/greetings', payload: { name: '', times: 9 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['/name', '/times']);
  });

  it('answers malformed JSON, wrong media type and oversized bodies with typed errors', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/greetings',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');

    const text = await app.inject({
      method: 'POST',
      url: '/v1/greetings',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const big = await app.inject({
      method: 'POST',
      url: '/v1/greetings',
      payload: { name: 'x'.repeat(5000), times: 1 },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('maps AppError to its catalog status and hides internal errors', async () => {
    const forbidden = await app.inject({ method: 'GET', url: '/v1/forbidden' });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ error: { code: 'AUTH_FORBIDDEN', message: 'Not allowed' } });

    const crash = await app.inject({ method: 'GET', url: '/v1/crash' });
    expect(crash.statusCode).toBe(500);
    expect(crash.json().error.code).toBe('INTERNAL');
    expect(crash.body).not.toContain('secret internal detail');

    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('reports liveness, readiness by dependency, and draining', async () => {
    expect((await app.inject('/livez')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { dependency: 'ok' } });

    up = false;
    const down = await app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.dependency).toBe('failed: dependency down');
    up = true;

    health.draining = true;
    const draining = await app.inject('/readyz');
    expect(draining.statusCode).toBe(503);
    expect(draining.json()).toEqual({ status: 'draining' });
    health.draining = false;
  });

  it('exposes Prometheus metrics including request durations by route', async () => {
    await app.inject({ method: 'POST', url: '/v1/greetings', payload: { name: 'bo', times: 1 } });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/v1\/greetings"[^}]*\} \d+/);
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('publishes an OpenAPI document generated from the zod schemas', async () => {
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    const body = doc.paths['/v1/greetings'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['name', 'times']);
    expect(body.properties.times.maximum).toBe(3);
  });
});

describe('Lifecycle', () => {
  it('runs shutdown steps once, in order, and continues past a failing step', async () => {
    const order: string[] = [];
    const lifecycle = new Lifecycle(silentLogger(), 1_000);
    lifecycle.onShutdown('a', () => order.push('a'));
    lifecycle.onShutdown('b', () => {
      throw new Error('b failed');
    });
    lifecycle.onShutdown('c', async () => order.push('c'));
    const first = lifecycle.shutdown('test');
    const second = lifecycle.shutdown('again');
    await expect(first).rejects.toThrow('one or more shutdown steps failed');
    await expect(second).rejects.toThrow('one or more shutdown steps failed');
    expect(order).toEqual(['a', 'c']);
    expect(lifecycle.draining).toBe(true);
  });

  it('gives up after its timeout', async () => {
    const lifecycle = new Lifecycle(silentLogger(), 50);
    lifecycle.onShutdown('hangs', () => new Promise(() => {}));
    await expect(lifecycle.shutdown('test')).rejects.toThrow('shutdown exceeded 50 ms');
  });
});

describe('runMain (a real process)', () => {
  it('drains in-flight requests on SIGTERM, runs the steps in order and exits 0', async () => {
    const port = await freePort();
    const { command, args } = tsxCommand(new URL('./fixtures/example-main.ts', import.meta.url).pathname);
    const proc = await startProcess({
      name: 'example',
      command,
      args,
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    const inFlight = fetch(`http://127.0.0.1:${port}/v1/slow`);
    await expect.poll(() => proc.output()).toContain('slow request started');
    proc.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await proc.exited, proc.output()).toBe(0);
    const messages = proc.logs().map((l) => l.msg);
    const steps = ['shutting down', 'consumers closed', 'database closed', 'shutdown complete'];
    expect(messages.filter((m) => steps.includes(String(m)))).toEqual(steps);
  });

  it('refuses to start with a configuration error naming the variable', async () => {
    const { command, args } = tsxCommand(new URL('./fixtures/example-main.ts', import.meta.url).pathname);
    const proc = await startProcess({ name: 'example', command, args, env: { PORT: 'eighty' } });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/example: invalid configuration\n\s+- PORT:/);
  });
});
