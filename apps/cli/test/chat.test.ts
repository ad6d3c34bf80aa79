import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from './support/cli.js';
import { type System, startSystem } from './support/system.js';
import { type Terminal, Tmux } from './support/tmux.js';

/**
 * Two people chat in `im chat`, each in a real pseudo-terminal (tmux), against
 * the whole system running as a child process.
 */

let system: System;
let tmux: Tmux;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  system = await startSystem();
  tmux = new Tmux();
  alice = await User.create('alice', system.url);
  bob = await User.create('bob', system.url);
  carol = await User.create('carol', system.url);
  await Promise.all([alice.register(), bob.register(), carol.register()]);
});

afterAll(async () => {
  await tmux?.kill();
  await system?.destroy();
});

const poll = { timeout: 20_000, interval: 100 };

/** The input line: the last non-empty line of the screen. */
const inputLine = async (terminal: Terminal) =>
  (await terminal.screen())
    .split('\n')
    .filter((line) => line.trim() !== '')
    .at(-1);

/** Whether text holds an SGR (colour/style) escape sequence. */
const hasColour = (text: string) =>
  text
    .split('\x1b[')
    .slice(1)
    .some((part) => /^[0-9;]*m/.test(part));

describe('im chat', () => {
  let a: Terminal;
  let b: Terminal;

  it('opens a full-screen chat that connects and shows presence', async () => {
    a = await tmux.open('alice', ['chat', 'bob'], alice.env);
    b = await tmux.open('bob', ['chat', 'alice'], bob.env);
    await expect.poll(() => a.screen(), poll).toContain('● connected');
    await expect.poll(() => b.screen(), poll).toContain('● connected');
    await expect.poll(() => a.screen(), poll).toMatch(/^ bob · online/);
    expect(await inputLine(a)).toBe('›');
  });

  it('delivers a message both ways, with typing and statuses up to read', async () => {
    await a.type('hello bob');
    await expect.poll(() => b.screen(), poll).toContain('alice is typing…');
    await a.press('Enter');
    await expect.poll(() => b.screen(), poll).toMatch(/\d\d:\d\d alice: hello bob/);
    // Bob's screen shows it, so it is read: Alice sees ✓✓ seen.
    await expect.poll(() => a.screen(), poll).toMatch(/\d\d:\d\d alice: hello bob ✓✓\sseen/u);
    await b.type('hi alice, got it');
    await b.press('Enter');
    await expect.poll(() => a.screen(), poll).toMatch(/\d\d:\d\d bob: hi alice, got it/);
    await expect.poll(() => b.screen(), poll).toMatch(/bob: hi alice, got it ✓✓\sseen/u);
  });

  it('keeps what is being typed while messages arrive', async () => {
    await a.type('half a thought');
    await b.type('one more thing');
    await b.press('Enter');
    await expect.poll(() => a.screen(), poll).toContain('bob: one more thing');
    expect(await inputLine(a)).toBe('› half a thought');
    await a.type(', finished');
    await a.press('Enter');
    await expect.poll(() => b.screen(), poll).toContain('alice: half a thought, finished');
  });

  it('answers /commands', async () => {
    await a.type('/help');
    await a.press('Enter');
    await expect.poll(() => a.screen(), poll).toContain('/fingerprint [who]');
    await a.type('/members');
    await a.press('Enter');
    await expect.poll(() => a.screen(), poll).toMatch(/2 members: .*bob: online/);
    await a.type('/fingerprint');
    await a.press('Enter');
    await expect.poll(() => a.screen(), poll).toMatch(/safety number with bob: (\d{5} ){11}\d{5}/);
    await a.type('/nonsense');
    await a.press('Enter');
    await expect.poll(() => a.screen(), poll).toContain('unknown command /nonsense');
  });

  it('shows the connection dropping, keeps a message pending, and sends it after reconnecting', async () => {
    await system.stop();
    await expect.poll(() => a.screen(), poll).toMatch(/✗ offline · retrying in \d+ s/);
    await a.type('sent while offline');
    await a.press('Enter');
    await expect.poll(() => a.screen(), poll).toMatch(/alice: sent while offline ◷/);
    await system.start();
    await expect.poll(() => a.screen(), { ...poll, timeout: 40_000 }).toContain('● connected');
    await expect.poll(() => b.screen(), { ...poll, timeout: 40_000 }).toContain('alice: sent while offline');
    await expect.poll(() => a.screen(), poll).toMatch(/alice: sent while offline ✓✓\sseen/u);
  });

  it('marks a message ✓ while stored only, ✓✓ once delivered, ✓✓ seen once read', async () => {
    const toCarol = await tmux.open('to-carol', ['chat', 'carol'], alice.env);
    await expect.poll(() => toCarol.screen(), poll).toContain('● connected');
    await toCarol.type('are you around, carol?');
    await toCarol.press('Enter');
    // Carol has no device online: stored, nothing more.
    await expect.poll(() => toCarol.screen(), poll).toMatch(/alice: are you around, carol\? ✓$/m);
    // Her `im tail` receives it (delivered) without her reading it in a chat.
    const tail = carol.start(['tail']);
    await expect.poll(() => toCarol.screen(), poll).toMatch(/alice: are you around, carol\? ✓✓$/m);
    await tail.stop();
    const carolChat = await tmux.open('carol', ['chat', 'alice'], carol.env);
    await expect.poll(() => carolChat.screen(), poll).toContain('alice: are you around, carol?');
    await expect.poll(() => toCarol.screen(), poll).toMatch(/alice: are you around, carol\? ✓✓\sseen$/mu);
    await carolChat.press('C-c');
    await toCarol.press('C-c');
  });

  it('quits with /quit and Ctrl-C, exit status 0', async () => {
    await a.type('/quit');
    await a.press('Enter');
    await expect.poll(() => a.exitStatus(), poll).toBe(0);
    await b.press('C-c');
    await expect.poll(() => b.exitStatus(), poll).toBe(0);
  });

  it('colours the screen, unless NO_COLOR is set', async () => {
    const colour = { ...alice.env, NO_COLOR: '' };
    const coloured = await tmux.open('colour', ['chat', 'bob'], colour);
    await expect.poll(() => coloured.screen(), poll).toContain('● connected');
    expect(hasColour(await coloured.screen({ escapes: true }))).toBe(true);
    await coloured.press('C-c');

    const plain = await tmux.open('plain', ['chat', 'bob'], { ...alice.env, NO_COLOR: '1' });
    await expect.poll(() => plain.screen(), poll).toContain('● connected');
    expect(hasColour(await plain.screen({ escapes: true }))).toBe(false);
    await plain.press('C-c');
  });
});
