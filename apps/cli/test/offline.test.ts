import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, User } from './support/cli.js';
import { type System, startSystem } from './support/system.js';

/** Messages wait for people who are away: `im send` now, `im tail` / `im chat` later. */

let system: System;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  system = await startSystem();
  alice = await User.create('alice', system.url);
  bob = await User.create('bob', system.url);
  carol = await User.create('carol', system.url);
  await Promise.all([alice.register(), bob.register(), carol.register()]);
});

afterAll(async () => {
  await system?.destroy();
});

const poll = { timeout: 20_000, interval: 100 };

interface TailLine {
  type: string;
  conversation: string;
  kind: string;
  sender: string;
  text: string | null;
  seq: number;
  own: boolean;
}

const jsonLines = (text: string): TailLine[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TailLine);

describe('offline delivery', () => {
  it('gives Bob, who was offline, what Alice sent, when he runs `im tail --json`', async () => {
    expectOk(await alice.run(['send', 'bob', 'are you there?']));
    expectOk(await alice.run(['send', 'bob'], { stdin: 'this one came through a pipe\n' }));

    const tail = bob.start(['tail', '--json']);
    await expect.poll(() => jsonLines(tail.stdout).length, poll).toBe(2);
    expect(jsonLines(tail.stdout)).toMatchObject([
      {
        type: 'message',
        conversation: 'alice',
        kind: 'direct',
        sender: 'alice',
        text: 'are you there?',
        own: false,
      },
      { type: 'message', sender: 'alice', text: 'this one came through a pipe' },
    ]);

    // Now that Bob is connected, a new message arrives live.
    expectOk(await alice.run(['send', 'bob', 'and now live']));
    await expect.poll(() => jsonLines(tail.stdout).at(-1)?.text, poll).toBe('and now live');
    expect(await tail.stop()).toBe(0);
    const seqs = jsonLines(tail.stdout).map((line) => line.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(3);
  });

  it('does not show Bob the same messages again in the next `im tail`', async () => {
    expectOk(await alice.run(['send', 'bob', 'only this is new']));
    const tail = bob.start(['tail', '--json']);
    await expect.poll(() => jsonLines(tail.stdout).length, poll).toBe(1);
    expect(jsonLines(tail.stdout)[0]?.text).toBe('only this is new');
    expect(await tail.stop()).toBe(0);
  });

  it('prints plain lines without a terminal', async () => {
    expectOk(await alice.run(['send', 'bob', 'plain, please']));
    const tail = bob.start(['tail']);
    await expect
      .poll(() => tail.stdout, poll)
      .toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d alice: plain, please\n$/);
    expect(tail.stdout).not.toContain('\x1b');
    await tail.stop();
  });

  it('a message sent with `im send` is not taken from the sender’s own offline queue', async () => {
    expectOk(await bob.run(['send', 'alice', 'bob writes while alice is away']));
    // Alice's own `im send` connects as her device; it must not swallow what waits for her `im tail`.
    expectOk(await alice.run(['send', 'bob', 'alice sends before she reads']));
    const tail = alice.start(['tail', '--json']);
    await expect
      .poll(() => jsonLines(tail.stdout).map((line) => line.text), poll)
      .toContain('bob writes while alice is away');
    await tail.stop();
  });

  it('shows history in a scripted `im chat` and sends each line of standard input', async () => {
    const result = expectOk(
      await bob.run(['chat', 'alice'], { stdin: 'reply from a script\nand a second line\n' }),
    );
    expect(result.stdout).toMatch(/alice: are you there\?\n/);
    expect(result.stdout).toMatch(/bob: reply from a script\n/);
    expect(result.stdout).toMatch(/bob: and a second line\n/);
    const tail = alice.start(['tail', '--json']);
    await expect
      .poll(() => jsonLines(tail.stdout).map((line) => line.text), poll)
      .toEqual(expect.arrayContaining(['reply from a script', 'and a second line']));
    await tail.stop();
  });
});

describe('groups', () => {
  it('creates a group, sends to it, and a member who was offline gets it', async () => {
    const created = expectOk(await alice.run(['groups', 'create', 'team', 'bob', 'carol']));
    expect(created.stderr).toContain('Created #team with bob, carol.');
    expectOk(await alice.run(['send', '#team', 'hello team']));
    expectOk(await alice.run(['send', 'team', 'a bare name finds the group too']));

    const tail = carol.start(['tail', '--json']);
    await expect.poll(() => jsonLines(tail.stdout).length, poll).toBe(2);
    expect(jsonLines(tail.stdout)[0]).toMatchObject({
      conversation: '#team',
      kind: 'group',
      sender: 'alice',
      text: 'hello team',
    });
    await tail.stop();
  });

  it('lists, adds, removes and leaves', async () => {
    const dave = await User.create('dave', system.url);
    await dave.register();
    const list = expectOk(await alice.run(['groups', 'list']));
    expect(list.stdout).toMatch(/^[0-9a-f-]{36}\tteam\talice,bob,carol\n$/);

    expectOk(await alice.run(['groups', 'add', 'team', 'dave']));
    expect((await dave.run(['groups'])).stdout).toContain('team\talice,bob,carol,dave');
    expectOk(await alice.run(['groups', 'remove', 'team', 'dave']));
    expect((await dave.run(['groups'])).stdout).toBe('');
    expectOk(await carol.run(['groups', 'leave', '#team']));
    expect((await alice.run(['groups'])).stdout).toContain('team\talice,bob\n');

    const notMember = await dave.run(['send', '#team', 'let me in']);
    expect(notMember.code).toBe(1);
    expect(notMember.stderr).toContain('you are in no group named "team"');
  });
});
