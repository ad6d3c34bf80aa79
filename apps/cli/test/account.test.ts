import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentity, publicBundle, sealBackup } from '@im/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, User } from './support/cli.js';
import { type System, startSystem } from './support/system.js';
import { Tmux } from './support/tmux.js';

/** Accounts, devices, keys, and what `im` says when things go wrong. Ends by stopping the server. */

let system: System;
let alice: User;
let bob: User;

beforeAll(async () => {
  system = await startSystem();
  alice = await User.create('alice', system.url);
  bob = await User.create('bob', system.url);
  await Promise.all([alice.register(), bob.register()]);
});

afterAll(async () => {
  await system?.destroy();
});

describe('accounts and devices', () => {
  it('keeps credentials in $XDG_CONFIG_HOME/im, readable by the owner only', async () => {
    expect((await stat(join(alice.home, 'im'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(alice.home, 'im', 'credentials.json'))).mode & 0o777).toBe(0o600);
    const whoami = expectOk(await alice.run(['whoami']));
    expect(whoami.stdout).toContain('alice');
    expect(whoami.stdout).toContain(system.url);
  });

  it('asks for the password on the terminal without showing it', async () => {
    const tmux = new Tmux();
    try {
      const desktop = await alice.otherDevice();
      const terminal = await tmux.open('login', ['login', 'alice'], desktop.env);
      await expect.poll(() => terminal.screen(), { timeout: 20_000 }).toContain('Password:');
      await terminal.type(alice.password);
      await terminal.press('Enter');
      await expect.poll(() => terminal.screen(), { timeout: 30_000 }).toContain('Logged in as alice');
      expect(await terminal.screen()).not.toContain(alice.password);
      await expect.poll(() => terminal.exitStatus(), { timeout: 10_000 }).toBe(0);
    } finally {
      await tmux.kill();
    }
  });

  it('refuses a taken username and a wrong password', async () => {
    const taken = await (await User.create('alice', system.url)).run(
      ['register', 'alice', '--password-stdin'],
      {
        stdin: 'some-other-password\n',
      },
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('im: that username is taken');

    const wrong = await alice.run(['login', 'alice', '--password-stdin'], { stdin: 'not-the-password\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('im: wrong username or password\n');
  });

  it('restores the keys on a second device: the same fingerprint, and it reads the history', async () => {
    expectOk(await bob.run(['send', 'alice', 'written before the laptop existed']));
    const laptop = await alice.otherDevice();
    await laptop.login();
    const mine = expectOk(await alice.run(['fingerprint'])).stdout;
    expect(expectOk(await laptop.run(['fingerprint'])).stdout).toBe(mine);
    const history = expectOk(await laptop.run(['chat', 'bob']));
    expect(history.stdout).toContain('bob: written before the laptop existed');
    expect(history.stdout).not.toContain('cannot read');
  });

  it('shows the same safety number on both sides', async () => {
    const fromAlice = expectOk(await alice.run(['fingerprint', 'bob'])).stdout.trim();
    const fromBob = expectOk(await bob.run(['fingerprint', 'alice'])).stdout.trim();
    expect(fromAlice).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(fromAlice).toBe(fromBob);
  });

  it('warns when a contact publishes new keys', async () => {
    // Alice has pinned Bob's keys (the safety number above). Bob's keys now change: a new version,
    // published the way any client would (his token, his next key version, a sealed backup).
    const credentials = JSON.parse(await readFile(join(bob.home, 'im', 'credentials.json'), 'utf8')) as {
      accounts: Record<string, { userId: string; accessToken: string }>;
    };
    const account = credentials.accounts[system.url]!;
    const next = await generateIdentity(account.userId, 2);
    const bundle = publicBundle(next);
    const response = await fetch(`${system.url}/v1/keys`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        keyVersion: 2,
        x25519: bundle.x25519,
        ed25519: bundle.ed25519,
        backup: await sealBackup(next, bob.password),
      }),
    });
    expect(response.status).toBe(200);

    const result = expectOk(await alice.run(['fingerprint', 'bob']));
    expect(result.stderr).toContain("warning: bob's keys changed (version 1 → 2)");
    expect(result.stderr).toContain('im fingerprint bob');
    expect(expectOk(await alice.run(['fingerprint', 'bob'])).stderr).toBe('');
  });

  it('lists devices and logs one out from another', async () => {
    const phone = await alice.otherDevice();
    expectOk(
      await phone.run(['login', 'alice', '--password-stdin', '--device-name', 'phone'], {
        stdin: `${alice.password}\n`,
      }),
    );
    const devices = expectOk(await alice.run(['devices']))
      .stdout.trim()
      .split('\n');
    const rows = devices.map((line) => line.split('\t'));
    expect(rows.filter((row) => row[4] === 'current')).toHaveLength(1);
    const phoneRow = rows.find((row) => row[1] === 'phone');
    expect(phoneRow).toBeDefined();

    expectOk(await alice.run(['devices', 'revoke', phoneRow![0]!.slice(0, 8)]));
    const after = await phone.run(['send', 'bob', 'from the phone']);
    expect(after.code).toBe(4);
    expect(after.stderr).toMatch(/session .* has ended|run `im login`/);
  });

  it('logs out: the session ends and the credentials are gone', async () => {
    const tablet = await alice.otherDevice();
    await tablet.login();
    expectOk(await tablet.run(['logout']));
    const after = await tablet.run(['send', 'bob', 'hi']);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain('not logged in');
  });
});

describe('im send failures', () => {
  it('exits 0 once the message is stored', async () => {
    const result = await alice.run(['send', 'bob', 'stored, surely']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
  });

  it('exits 1 with a clear message when the recipient does not exist', async () => {
    const result = await alice.run(['send', 'nobody', 'hello?']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^im: no user or group named "nobody"\n/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an empty message', async () => {
    const result = await alice.run(['send', 'bob'], { stdin: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing to send');
  });

  it('exits 3 with a clear message when the server is down', async () => {
    await system.stop();
    const result = await alice.run(['send', 'bob', 'is anyone there?']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`im: cannot reach the server at ${system.url} (connection refused)`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
