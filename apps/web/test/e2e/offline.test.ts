import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, launchBrowser, Person, uniqueName } from './browser.js';

describe('offline and back', () => {
  let browser: Browser;
  let alice: Person;
  let bob: Person;

  beforeAll(async () => {
    browser = await launchBrowser();
    [alice, bob] = await Promise.all([
      Person.open(browser, uniqueName('alice')),
      Person.open(browser, uniqueName('bob')),
    ]);
    await Promise.all([alice.register(), bob.register()]);
    await alice.startChatWith(bob);
    await alice.send('before');
    await bob.openChat(alice.name);
    await eventually(async () => (await bob.texts()).join() === 'before');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a closed app receives everything sent meanwhile, in order, when it comes back', async () => {
    await bob.page.close();
    // Alice sees Bob go offline.
    await expect.poll(() => alice.page.locator('.chat-header .subtitle').textContent()).toMatch(/^last seen/);

    const sent = Array.from({ length: 12 }, (_, i) => `while you were away ${i + 1}`);
    for (const text of sent) await alice.send(text);
    await expect.poll(() => alice.myStatuses()).toEqual(['read', ...sent.map(() => 'sent')]);

    await bob.newPage();
    await bob.waitOnline();
    await expect.poll(() => bob.unreadBadge(alice.name)).toBe(String(sent.length));
    await bob.openChat(alice.name);
    await expect.poll(() => bob.texts()).toEqual(['before', ...sent]);
    // The chat marks where the unread messages start.
    expect(await bob.page.locator('.unread-separator + .message .text').textContent()).toBe(sent[0]);
    await expect.poll(() => alice.myStatuses()).toEqual(['read', ...sent.map(() => 'read')]);
  });

  it('shows a banner while offline, and sends what was typed meanwhile on reconnect', async () => {
    await bob.goOffline();
    await expect.poll(() => bob.page.locator('.banner.offline').count()).toBe(1);
    expect(await bob.page.locator('.banner.offline').textContent()).toMatch(/offline|Reconnecting/);
    // Not connected, Bob's app cannot know who is online, so it claims nothing.
    expect(await bob.page.locator('.chat-header .subtitle').textContent()).not.toBe('online');
    await bob.send('typed offline 1');
    await bob.send('typed offline 2');
    await expect.poll(() => bob.myStatuses()).toEqual(['pending', 'pending']);
    await bob.screenshot('08-offline-banner');
    // "Retry now" tries at once; still offline, the banner stays and nothing is lost.
    await bob.page.getByRole('button', { name: 'Retry now' }).click();
    await expect.poll(() => bob.page.locator('.banner.offline').count()).toBe(1);
    expect(await bob.myStatuses()).toEqual(['pending', 'pending']);
    // Alice keeps writing meanwhile.
    await alice.send('are you there?');

    await bob.goOnline();
    await bob.waitOnline();
    await expect.poll(() => bob.page.locator('.banner.offline').count()).toBe(0);
    await expect.poll(() => alice.texts()).toContain('typed offline 2');
    const aliceSees = await alice.texts();
    expect(aliceSees.filter((t) => t.startsWith('typed offline'))).toEqual([
      'typed offline 1',
      'typed offline 2',
    ]);
    await expect.poll(() => bob.texts()).toContain('are you there?');
    await expect.poll(async () => (await bob.myStatuses()).every((s) => s === 'read')).toBe(true);
    // Nothing was shown twice on either side.
    for (const texts of [await alice.texts(), await bob.texts()])
      expect(new Set(texts).size).toBe(texts.length);
  });

  it('raised no page errors', () => {
    expect(
      [...alice.errors, ...bob.errors].filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e)),
    ).toEqual([]);
  });
});
