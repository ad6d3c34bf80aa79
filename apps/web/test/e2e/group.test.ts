import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, Person, uniqueName } from './browser.js';

describe('a group of three', () => {
  let browser: Browser;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let title = `Weekend trip ${uniqueName('g')}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    [alice, bob, carol] = await Promise.all([
      Person.open(browser, uniqueName('alice')),
      Person.open(browser, uniqueName('bob')),
      Person.open(browser, uniqueName('carol')),
    ]);
    await Promise.all([alice.register(), bob.register(), carol.register()]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('creates the group with two people and everyone chats', async () => {
    const page = alice.page;
    await page.getByRole('button', { name: 'New group' }).click();
    await page.getByLabel('Group name').fill(title);
    for (const person of [bob, carol]) {
      await page.getByLabel('Add people').fill(person.name);
      await page.locator('.picker-results button', { hasText: person.name }).click();
    }
    await alice.screenshot('09-new-group');
    await page.getByRole('button', { name: 'Create group with 3' }).click();
    await expect.poll(() => alice.chatTitle()).toBe(title);
    await expect.poll(() => page.locator('.chat-header .subtitle').textContent()).toBe('3 members');

    await alice.send('Who is in for Saturday?');
    for (const person of [bob, carol]) {
      await expect.poll(() => person.unreadBadge(title)).toBe('1');
    }
    // Read by one of two: the mark says so.
    await bob.openChat(title);
    await expect.poll(() => bob.texts()).toEqual(['Who is in for Saturday?']);
    await expect
      .poll(() => page.locator('.message.mine .status-mark').getAttribute('title'))
      .toBe('Delivered · read by 1 of 2');
    await carol.openChat(title);
    await expect.poll(() => alice.myStatuses()).toEqual(['read']);
    expect(await page.locator('.message.mine .status-mark').getAttribute('title')).toBe('Read by all 2');

    await bob.send('Me!');
    await carol.send('Me too');
    const expected = ['Who is in for Saturday?', 'Me!', 'Me too'];
    for (const person of [alice, bob, carol]) await expect.poll(() => person.texts()).toEqual(expected);
    // Sender names show on others' messages in a group.
    await expect
      .poll(() => alice.page.locator('.message.theirs .sender').allTextContents())
      .toEqual([bob.name, carol.name]);
    // Alice watched them arrive: nothing is marked as new for her.
    expect(await alice.page.locator('.unread-separator').count()).toBe(0);
    await alice.screenshot('10-group-chat');

    // The name changes for everyone.
    await page.getByRole('button', { name: 'Group info and members' }).click();
    await page.getByRole('button', { name: 'Rename group' }).click();
    title = `${title} (Sat)`;
    await page.getByLabel('Group name').fill(title);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.keyboard.press('Escape');
    for (const person of [alice, bob, carol]) await expect.poll(() => person.chatTitle()).toBe(title);
  });

  it('removes a member, who stops seeing the group, adds her back; another leaves', async () => {
    const page = alice.page;
    await page.getByRole('button', { name: 'Group info and members' }).click();
    await alice.screenshot('11-group-info');
    await page.getByRole('button', { name: `Remove ${carol.name} from the group` }).click();
    await expect.poll(() => page.locator('.member-list li').count()).toBe(2);
    await page.keyboard.press('Escape');
    await expect.poll(() => carol.page.locator('a.conversation-row', { hasText: title }).count()).toBe(0);

    await alice.send('Just us two then');
    await expect.poll(async () => (await bob.texts()).at(-1)).toBe('Just us two then');

    // Added back, she sees the group again.
    await page.getByRole('button', { name: 'Group info and members' }).click();
    await page.getByLabel('Add people').fill(carol.name);
    await page.locator('.picker-results button', { hasText: carol.name }).click();
    await expect.poll(() => page.locator('.member-list li').count()).toBe(3);
    await page.keyboard.press('Escape');
    await expect.poll(() => carol.page.locator('a.conversation-row', { hasText: title }).count()).toBe(1);

    bob.page.once('dialog', (dialog) => void dialog.accept());
    await bob.page.getByRole('button', { name: 'Group info and members' }).click();
    await bob.page.getByRole('button', { name: 'Leave group' }).click();
    await expect.poll(() => bob.page.locator('a.conversation-row', { hasText: title }).count()).toBe(0);
    await expect.poll(() => page.locator('.chat-header .subtitle').textContent()).toBe('2 members');
  });

  it('raised no page errors', () => {
    expect([...alice.errors, ...bob.errors, ...carol.errors]).toEqual([]);
  });
});
