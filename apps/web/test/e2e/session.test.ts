import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, Person, uniqueName } from './browser.js';

describe('sessions, devices and history', () => {
  let browser: Browser;
  let alice: Person;
  let bob: Person;
  const many = Array.from({ length: 75 }, (_, i) => `history line ${i + 1}`);

  beforeAll(async () => {
    browser = await launchBrowser();
    [alice, bob] = await Promise.all([
      Person.open(browser, uniqueName('alice')),
      Person.open(browser, uniqueName('bob')),
    ]);
    await Promise.all([alice.register(), bob.register()]);
    await alice.startChatWith(bob);
    for (const text of many) await alice.send(text);
    await expect.poll(() => alice.myStatuses()).toEqual(many.map(() => 'sent'));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a reload keeps the session and the history', async () => {
    await alice.page.reload();
    await alice.waitOnline();
    await alice.openChat(bob.name);
    await expect.poll(async () => (await alice.texts()).at(-1)).toBe('history line 75');
  });

  it('loads older messages on scroll without moving what is on screen', async () => {
    await bob.openChat(alice.name);
    await expect.poll(async () => (await bob.texts()).at(-1)).toBe('history line 75');
    const shown = (await bob.texts()).length;
    expect(shown).toBeLessThan(many.length);
    const timeline = bob.page.getByRole('region', { name: 'Messages' });
    const firstShown = bob.page.locator('.message', {
      hasText: new RegExp(`^history line ${many.length - shown + 1}\\D`),
    });
    // Scroll to the top: an older page is prepended above, and the row that was first stays put.
    await timeline.evaluate((el) => {
      el.scrollTop = 0;
    });
    const before = await firstShown.boundingBox();
    await expect.poll(async () => (await bob.texts()).length).toBeGreaterThan(shown);
    const after = await firstShown.boundingBox();
    expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThan(2);
    await timeline.evaluate((el) => {
      el.scrollTop = 0;
    });
    await expect.poll(() => bob.texts()).toEqual(many);
    await expect
      .poll(() => bob.page.locator('.history-edge').textContent())
      .toMatch(/beginning of the conversation/);
  });

  it('a new device restores the keys from the backup and reads the history', async () => {
    const laptop = await Person.open(browser, alice.name);
    await laptop.signIn();
    await laptop.openChat(bob.name);
    await expect.poll(async () => (await laptop.texts()).at(-1)).toBe('history line 75');
    expect(await laptop.page.locator('.bubble.unreadable').count()).toBe(0);

    // The first device lists both sessions and revokes the new one, which is signed out.
    await alice.page.getByRole('button', { name: 'Settings and devices' }).click();
    await expect.poll(() => alice.page.locator('.device-list li').count()).toBe(2);
    await alice.screenshot('12-devices');
    alice.page.once('dialog', (dialog) => void dialog.accept());
    await alice.page
      .locator('.device-list li', { hasNotText: 'this device' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => alice.page.locator('.device-list li').count()).toBe(1);
    await expect
      .poll(() => laptop.page.getByRole('button', { name: 'Sign in' }).count(), { timeout: 30_000 })
      .toBe(1);
    await expect.poll(() => laptop.page.locator('.notice').textContent()).toMatch(/session ended/);
    await laptop.close();
  });

  it('signs out, and back in with the password', async () => {
    await alice.page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => alice.page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await alice.page.reload();
    await expect.poll(() => alice.page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await alice.signIn();
    await alice.openChat(bob.name);
    await expect.poll(async () => (await alice.texts()).at(-1)).toBe('history line 75');
  });

  it('raised no page errors', () => {
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});
