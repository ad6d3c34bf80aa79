import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli/errors.js';
import { type Account, CredentialStore, configDir } from './credentials.js';
import { DEFAULT_SERVER, normalizeServer, resolveServer, webSocketUrl } from './server.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'im-cli-store-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function account(server: string, username: string): Account {
  return {
    server,
    userId: '00000000-0000-4000-8000-000000000001',
    username,
    sessionId: '00000000-0000-4000-8000-000000000002',
    deviceName: 'test',
    accessToken: 'a',
    accessTokenExpiresAt: 0,
    refreshToken: 'r',
    refreshTokenExpiresAt: 0,
    keyring: [
      {
        userId: '00000000-0000-4000-8000-000000000001',
        keyVersion: 1,
        x25519SecretKey: 'x',
        ed25519SecretKey: 'e',
      },
    ],
    knownKeys: {},
    usernames: {},
  };
}

describe('CredentialStore', () => {
  it('lives in $XDG_CONFIG_HOME/im, else ~/.config/im', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x' })).toBe('/x/im');
    expect(configDir({ HOME: '/home/me' })).toBe('/home/me/.config/im');
  });

  it('writes the file 0600 in a 0700 directory, and reads it back', async () => {
    const store = new CredentialStore(join(root, 'im'));
    expect(await store.read()).toEqual({ version: 1, current: null, accounts: {} });
    await store.update((file) => {
      file.accounts['http://a'] = account('http://a', 'alice');
      file.current = 'http://a';
    });
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect((await stat(store.dir)).mode & 0o777).toBe(0o700);
    expect((await store.account('http://a'))?.username).toBe('alice');
  });

  it('tightens a directory that others can read', async () => {
    const dir = join(root, 'loose');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await new CredentialStore(dir).update(() => undefined);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('loses no update when many happen at once', async () => {
    const store = new CredentialStore(join(root, 'im'));
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.update(async (file) => {
          await new Promise((resolve) => setImmediate(resolve));
          file.accounts[`http://s${index}`] = account(`http://s${index}`, `user${index}`);
        }),
      ),
    );
    expect(Object.keys((await store.read()).accounts)).toHaveLength(20);
  });

  it('breaks a lock left behind by a process that died', async () => {
    const dir = join(root, 'im');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    await writeFile(join(dir, 'credentials.lock'), `${child.pid} dead`);
    const store = new CredentialStore(dir, { lockTimeoutMs: 2_000 });
    await store.update((file) => {
      file.current = 'http://a';
    });
    expect((await store.read()).current).toBe('http://a');
  });

  it('gives up on a lock that another live process holds', async () => {
    const dir = join(root, 'im');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'credentials.lock'), `${process.pid} alive`);
    const store = new CredentialStore(dir, { lockTimeoutMs: 200 });
    await expect(store.update(() => undefined)).rejects.toThrow(/held by another im process/);
    expect(await readFile(join(dir, 'credentials.lock'), 'utf8')).toBe(`${process.pid} alive`);
  });

  it('says so when the file is damaged', async () => {
    const dir = join(root, 'im');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'credentials.json'), '{"version": 1, "accounts": ');
    const error = await new CredentialStore(dir).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(/credentials\.json is damaged/);
  });
});

describe('server URLs', () => {
  it('normalises what people type', () => {
    expect(normalizeServer('localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeServer('https://im.example.org/')).toBe('https://im.example.org');
    expect(normalizeServer('http://host:1/base/')).toBe('http://host:1/base');
    expect(() => normalizeServer('ftp://host')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => normalizeServer('http://user:pw@host')).toThrow(/credentials/);
    expect(() => normalizeServer('http://')).toThrow(/not a server URL/);
  });

  it('takes --server, then IM_SERVER, then the last login, then the default', () => {
    const file = { version: 1 as const, current: 'http://last', accounts: {} };
    expect(resolveServer('http://flag', { IM_SERVER: 'http://env' }, file)).toBe('http://flag');
    expect(resolveServer(undefined, { IM_SERVER: 'http://env' }, file)).toBe('http://env');
    expect(resolveServer(undefined, {}, file)).toBe('http://last');
    expect(resolveServer(undefined, {}, { ...file, current: null })).toBe(DEFAULT_SERVER);
  });

  it('derives the WebSocket endpoint', () => {
    expect(webSocketUrl('http://localhost:8080')).toBe('ws://localhost:8080/v1/ws');
    expect(webSocketUrl('https://im.example.org')).toBe('wss://im.example.org/v1/ws');
  });
});
