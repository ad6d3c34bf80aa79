import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, launchBrowser, PASSWORD, Person, uniqueName } from './browser.js';

const NEW_PASSWORD = 'a much longer passphrase';

describe('sessions, devices and history', () => {
  let browser: Browser;
  let alice: Person;
  let bob: Person;
  let laptop: Person;
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
    await eventually(
      async () => (await alice.myStatuses()).filter((s) => s !== 'pending').length === many.length,
    );
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

  it('a new device restores the keys from the backup, and loads older history on scroll without moving the view', async () => {
    laptop = await Person.open(browser, alice.name);
    await laptop.signIn();
    await laptop.openChat(bob.name);
    // A new device starts from the newest page of history, decrypted with the keys from the backup.
    await expect.poll(async () => (await laptop.texts()).at(-1)).toBe('history line 75');
    expect(await laptop.page.locator('.bubble.unreadable').count()).toBe(0);
    const shown = (await laptop.texts()).length;
    expect(shown).toBeLessThan(many.length);

    const timeline = laptop.page.getByRole('region', { name: 'Messages' });
    // Park the view just below the point where older pages load, and note the row at its top.
    const rowAtTop = () =>
      timeline.evaluate((el) => {
        const top = el.getBoundingClientRect().top;
        const row = [...el.querySelectorAll<HTMLElement>('.message')].find(
          (m) => m.getBoundingClientRect().top >= top,
        );
        return {
          text: row?.querySelector('.text')?.textContent ?? '',
          y: row?.getBoundingClientRect().top ?? 0,
        };
      });
    await timeline.evaluate((el) => {
      el.scrollTop = 700;
    });
    const before = await rowAtTop();
    expect(await laptop.texts()).toHaveLength(shown);
    // Scroll up 150 px: the older page is prepended above, and the row moves by the scroll alone.
    await timeline.evaluate((el) => {
      el.scrollTop -= 150;
    });
    await expect.poll(async () => (await laptop.texts()).length).toBe(many.length);
    const row = laptop.page.locator('.message', {
      has: laptop.page.locator('.text', { hasText: new RegExp(`^${before.text}$`) }),
    });
    const after = await row.evaluate((el) => el.getBoundingClientRect().top);
    expect(Math.abs(after - (before.y + 150))).toBeLessThanOrEqual(2);
    await timeline.evaluate((el) => {
      el.scrollTop = 0;
    });
    expect(await laptop.texts()).toEqual(many);
    await expect
      .poll(() => laptop.page.locator('.history-edge').textContent())
      .toMatch(/beginning of the conversation/);
  });

  it('lists both devices and revokes the new one, which is signed out and forgets the keys', async () => {
    const aliceId: string = await alice.page.evaluate(
      () => JSON.parse(localStorage.getItem('im.session.v1') ?? '{}').userId,
    );
    expect(aliceId).toMatch(/^[0-9a-f-]{36}$/);
    await alice.page.getByRole('button', { name: 'Settings and devices' }).click();
    await expect.poll(() => alice.page.locator('.device-list li').count()).toBe(2);
    await alice.screenshot('12-devices');
    alice.page.once('dialog', (dialog) => void dialog.accept());
    await alice.page
      .locator('.device-list li', { hasNotText: 'this device' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => alice.page.locator('.device-list li').count()).toBe(1);
    await expect.poll(() => laptop.page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await expect.poll(() => laptop.page.locator('.notice').textContent()).toMatch(/session ended/);
    // The revoked browser no longer holds the keys.
    await expect
      .poll(() =>
        laptop.page.evaluate(
          (userId) =>
            new Promise<boolean>((resolve, reject) => {
              const open = indexedDB.open('im-web');
              open.onerror = () => reject(open.error);
              open.onsuccess = () => {
                const get = open.result.transaction('identities').objectStore('identities').get(userId);
                get.onsuccess = () => resolve(get.result !== undefined);
                get.onerror = () => reject(get.error);
              };
            }),
          aliceId,
        ),
      )
      .toBe(false);
    await laptop.close();
  });

  it('changes the password; signs out, and back in with the new one, and the keys open with it', async () => {
    const page = alice.page;
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toMatch(/Password changed/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    // Signing out removed the keys from this browser: they come back from the backup, sealed under the new password.
    await alice.signIn(NEW_PASSWORD);
    await alice.openChat(bob.name);
    await expect.poll(async () => (await alice.texts()).at(-1)).toBe('history line 75');
  });

  it('raised no page errors', () => {
    // The revoked device's requests are refused (401) on purpose; nothing else may fail.
    const revoked = laptop.errors.filter((e) => !/status of 401/.test(e));
    expect([...alice.errors, ...bob.errors, ...revoked]).toEqual([]);
  });
});
