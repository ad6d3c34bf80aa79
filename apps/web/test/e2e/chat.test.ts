import { generateIdentity, publicBundle, sealBackup } from '@im/crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, PASSWORD, Person, PHONE, uniqueName } from './browser.js';

/** Two people register in two browser profiles and chat both ways until both see `read`. */
describe('two people chat', () => {
  let browser: Browser;
  let alice: Person;
  let bob: Person;

  beforeAll(async () => {
    browser = await launchBrowser();
    [alice, bob] = await Promise.all([
      Person.open(browser, uniqueName('alice')),
      Person.open(browser, uniqueName('bob')),
    ]);
    await alice.screenshot('01-sign-in');
    await alice.page.getByRole('tab', { name: 'Create account' }).click();
    await alice.screenshot('02-create-account');
    await alice.page.getByRole('tab', { name: 'Sign in' }).click();
    await Promise.all([alice.register(), bob.register()]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('starts a chat, delivers both ways, and both sides see read', async () => {
    await alice.screenshot('03-empty-list');
    await alice.startChatWith(bob);
    await alice.send('Hi Bob! This is end-to-end encrypted.');
    await expect.poll(() => alice.myStatuses()).toEqual([expect.stringMatching(/^(sent|delivered|read)$/)]);

    // Bob has not opened the chat: it is unread in his list, with the decrypted preview.
    await expect.poll(() => bob.unreadBadge(alice.name)).toBe('1');
    await expect
      .poll(() =>
        bob.page.locator('a.conversation-row', { hasText: alice.name }).locator('.row-preview').textContent(),
      )
      .toBe('Hi Bob! This is end-to-end encrypted.');
    await expect.poll(() => alice.myStatuses()).toEqual(['delivered']);

    await bob.openChat(alice.name);
    await expect.poll(() => bob.texts()).toEqual(['Hi Bob! This is end-to-end encrypted.']);
    await expect.poll(() => alice.myStatuses()).toEqual(['read']);
    await expect.poll(() => bob.unreadBadge(alice.name)).toBeNull();

    await bob.send('Hello Alice 👋');
    await bob.send('Multi-line\nmessages work too');
    await expect
      .poll(() => alice.texts())
      .toEqual(['Hi Bob! This is end-to-end encrypted.', 'Hello Alice 👋', 'Multi-line\nmessages work too']);
    await expect.poll(() => bob.myStatuses()).toEqual(['read', 'read']);
    await expect.poll(() => alice.myStatuses()).toEqual(['read']);
    expect(await alice.page.locator('.day-label').allTextContents()).toEqual(['Today']);
  });

  it('shows the typing indicator while the other person types', async () => {
    await bob.composer().fill('I am typing');
    await expect.poll(() => alice.page.locator('.chat-header .subtitle').textContent()).toBe('typing…');
    await alice.screenshot('04-chat-typing');
    await bob.composer().fill('');
    await expect.poll(() => alice.page.locator('.chat-header .subtitle').textContent()).toBe('online');
  });

  it('shows presence and the same safety number on both sides', async () => {
    await expect.poll(() => alice.page.locator('.chat-header .presence-dot.online').count()).toBe(1);
    const safetyNumber = async (person: Person) => {
      await person.page.getByRole('button', { name: 'Contact info and safety number' }).click();
      const groups = person.page.getByTestId('safety-number').locator('.group');
      await groups.first().waitFor();
      return (await groups.allTextContents()).join(' ');
    };
    const [forAlice, forBob] = [await safetyNumber(alice), await safetyNumber(bob)];
    expect(forAlice).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(forAlice).toBe(forBob);
    await alice.screenshot('05-safety-number');
    await alice.page.getByRole('button', { name: 'Mark as verified' }).click();
    await expect.poll(() => alice.page.locator('.safety .tag.ok').textContent()).toBe('Verified');
    for (const person of [alice, bob]) await person.page.keyboard.press('Escape');
    await expect.poll(() => alice.page.locator('dialog[open]').count()).toBe(0);
  });

  it('is usable from the keyboard alone', async () => {
    // Focus starts in the composer of an open chat; Enter sends.
    await alice.composer().focus();
    await alice.page.keyboard.type('Typed without a mouse');
    await alice.page.keyboard.press('Enter');
    await expect.poll(async () => (await bob.texts()).at(-1)).toBe('Typed without a mouse');
    // Shift+Tab walks back to the conversation list.
    await alice.page.keyboard.press('Shift+Tab');
    const focused = () => alice.page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(await focused()).toBe('Messages');
    // Ctrl+K goes to the search box; typing a name and Tab, Enter opens the chat from there.
    await alice.page.keyboard.press('Control+k');
    expect(await focused()).toBe('Search chats and people');
    await alice.page.keyboard.type(bob.name);
    await alice.page.keyboard.press('Tab');
    await alice.page.keyboard.press('Enter');
    await expect.poll(() => alice.chatTitle()).toBe(bob.name);
  });

  it('fits a phone-width screen: list first, then the chat with a back button', async () => {
    // A phone in dark mode: the theme follows the system.
    const phone = await Person.open(browser, alice.name, PHONE, 'dark');
    await phone.signIn();
    await phone.screenshot('06-phone-list');
    await phone.openChat(bob.name);
    await expect.poll(() => phone.texts()).toContain('Hello Alice 👋');
    expect(await phone.page.locator('.sidebar').isVisible()).toBe(false);
    await phone.screenshot('07-phone-chat');
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.page.getByRole('button', { name: 'Back to chats' }).click();
    await expect.poll(() => phone.page.locator('.sidebar').isVisible()).toBe(true);
    await phone.close();
    expect(phone.errors).toEqual([]);
  });

  it('turns web links into links, and nothing else', async () => {
    await bob.send('Docs at https://example.org/guide. Not this: javascript:alert(1)');
    const last = alice.page.locator('.message.theirs').last();
    await expect
      .poll(() => last.locator('.text').textContent())
      .toBe('Docs at https://example.org/guide. Not this: javascript:alert(1)');
    const links = await last
      .locator('a')
      .evaluateAll((nodes) => nodes.map((a) => [a.getAttribute('href'), a.getAttribute('rel')]));
    expect(links).toEqual([['https://example.org/guide', 'noopener noreferrer nofollow']]);
  });

  it('warns when a contact’s keys change, until the new safety number is accepted', async () => {
    // Bob's keys are replaced (a reinstall without the backup, say): version 2 in the key directory.
    const session = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('im.session.v1') ?? '{}'));
    const next = await generateIdentity(session.userId, 2);
    const bundle = publicBundle(next);
    const response = await fetch(`${inject('baseUrl')}/v1/keys`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        keyVersion: 2,
        x25519: bundle.x25519,
        ed25519: bundle.ed25519,
        backup: await sealBackup([next], PASSWORD, { kdf: { name: 'PBKDF2-SHA256' } }),
      }),
    });
    expect(response.status).toBe(200);

    // Alice is told live (keys.changed), without reloading.
    const banner = alice.page.locator('.banner.warning');
    await expect.poll(() => banner.textContent()).toMatch(new RegExp(`${bob.name} has new encryption keys`));
    await alice.screenshot('13-key-change-warning');
    await banner.getByRole('button', { name: 'Review' }).click();
    await alice.page.getByRole('button', { name: 'Accept the new keys' }).click();
    await alice.page.keyboard.press('Escape');
    await expect.poll(() => banner.count()).toBe(0);
  });

  it('raised no page errors', () => {
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});
