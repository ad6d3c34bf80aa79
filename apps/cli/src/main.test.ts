import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { generateIdentity, serializeIdentity } from '@im/crypto';
import { freePort } from '@im/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from './cli/context.js';
import { main } from './main.js';
import { CredentialStore } from './store/credentials.js';

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'im-cli-main-'));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function im(argv: string[], env: Record<string, string> = {}, stdin = '') {
  const input = new PassThrough();
  input.end(stdin);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const io: Io = { stdin: input, stdout, stderr, env: { XDG_CONFIG_HOME: home, ...env } };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('im (in process)', () => {
  it('prints help and the version', async () => {
    const help = await im(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: im [--server url] <command>');
    expect((await im(['chat', '--help'])).out).toContain('Usage: im chat <user|group>');
    expect((await im(['--version'])).out).toMatch(/^im \d+\.\d+\.\d+\n$/);
  });

  it('refuses a wrong command line with exit status 2 and a hint, no stack trace', async () => {
    const result = await im(['send']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('im: missing <user|group>\n  run `im send --help` for usage\n');
  });

  it('says how to log in when nobody is', async () => {
    const result = await im(['send', 'bob', 'hi']);
    expect(result.code).toBe(4);
    expect(result.err).toContain('im: not logged in to http://localhost:8080');
    expect(result.err).toContain('im login <username>');
  });

  it('refuses a bad --server before doing anything', async () => {
    const result = await im(['--server', 'ftp://x', 'tail']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('must start with http:// or https://');
  });

  it('reports a server that is not running with exit status 3', async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const store = new CredentialStore(join(home, 'im'));
    const keyring = [serializeIdentity(await generateIdentity('00000000-0000-4000-8000-000000000001'))];
    await store.update((file) => {
      file.current = server;
      file.accounts[server] = {
        server,
        userId: '00000000-0000-4000-8000-000000000001',
        username: 'alice',
        sessionId: '00000000-0000-4000-8000-000000000002',
        deviceName: 'test',
        accessToken: 'token',
        accessTokenExpiresAt: Date.now() + 600_000,
        refreshToken: 'refresh',
        refreshTokenExpiresAt: Date.now() + 600_000,
        keyring,
        knownKeys: {},
        usernames: {},
      };
    });
    const result = await im(['send', 'bob', 'hi']);
    expect(result.code).toBe(3);
    expect(result.err).toContain(`im: cannot reach the server at ${server} (connection refused)`);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('needs a password on standard input with --password-stdin', async () => {
    const result = await im(['login', 'alice', '--password-stdin'], {}, '');
    expect(result.code).toBe(1);
    expect(result.err).toContain('no password on standard input');
  });

  it('refuses to prompt for a password without a terminal', async () => {
    const result = await im(['login', 'alice']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('no terminal to ask for the password');
    expect(result.err).toContain('--password-stdin');
  });
});
