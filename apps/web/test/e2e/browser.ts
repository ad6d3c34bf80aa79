import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { chromiumLaunchOptions } from '@im/testkit';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
  type WebSocketRoute,
} from 'playwright-core';
import { inject } from 'vitest';

export const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
export const PASSWORD = 'correct horse battery';

export async function launchBrowser(): Promise<Browser> {
  const options = chromiumLaunchOptions();
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch(options);
}

/** Resolves once `check` holds, polling (for hooks, where `expect.poll` is not available). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A username no other test (or earlier run against the same server) has. */
export function uniqueName(base: string): string {
  return `${base}_${randomBytes(3).toString('hex')}`;
}

export interface Viewport {
  width: number;
  height: number;
}

export const DESKTOP: Viewport = { width: 1180, height: 780 };
export const PHONE: Viewport = { width: 390, height: 780 };

/**
 * One person in one browser profile (a context: its own localStorage and
 * IndexedDB, i.e. its own device), driving the app the way a person does:
 * through labels, roles and visible text.
 */
export class Person {
  readonly errors: string[] = [];
  page!: Page;
  #online = true;
  readonly #sockets = new Set<WebSocketRoute>();

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
  ) {}

  static async open(
    browser: Browser,
    name: string,
    viewport: Viewport = DESKTOP,
    colorScheme: 'light' | 'dark' = 'light',
  ): Promise<Person> {
    const context = await browser.newContext({
      viewport,
      colorScheme,
      baseURL: inject('baseUrl'),
      locale: 'en-GB',
    });
    const person = new Person(name, context);
    // Every WebSocket goes through the test, so it can cut the connection the way a network loss does.
    await context.routeWebSocket(/\/v1\/ws$/, (ws) => person.#route(ws));
    await person.newPage();
    return person;
  }

  #route(ws: WebSocketRoute): void {
    if (!this.#online) {
      ws.close({ code: 1006, reason: 'offline' });
      return;
    }
    this.#sockets.add(ws);
    ws.onClose(() => this.#sockets.delete(ws));
    ws.connectToServer();
  }

  /**
   * Loses the network: HTTP fails (browser offline emulation), the live
   * socket drops, and reconnection attempts fail until `goOnline()`.
   */
  async goOffline(): Promise<void> {
    this.#online = false;
    await this.context.setOffline(true);
    for (const ws of this.#sockets) await ws.close({ code: 1006, reason: 'network lost' });
    this.#sockets.clear();
  }

  async goOnline(): Promise<void> {
    this.#online = true;
    await this.context.setOffline(false);
  }

  /** Opens the app in a fresh tab of this profile (after closing the old one, for example). */
  async newPage(): Promise<Page> {
    this.page = await this.context.newPage();
    this.page.on('pageerror', (error) => this.errors.push(`${this.name}: ${error.message}`));
    this.page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`${this.name} console: ${message.text()}`);
      if (process.env.IM_E2E_DEBUG) console.log(`[${this.name}] ${message.type()}: ${message.text()}`);
    });
    if (process.env.IM_E2E_DEBUG) {
      this.page.on('response', (response) => {
        if (response.status() >= 400 || response.url().includes('/auth/'))
          console.log(
            `[${this.name}] HTTP ${response.status()} ${response.request().method()} ${response.url()}`,
          );
      });
      this.page.on('requestfailed', (request) =>
        console.log(
          `[${this.name}] FAILED ${request.method()} ${request.url()} ${request.failure()?.errorText}`,
        ),
      );
      this.page.on('websocket', (ws) => {
        ws.on('close', () => console.log(`[${this.name}] websocket closed`));
        ws.on('framereceived', (frame) => {
          const text = String(frame.payload);
          if (!text.includes('"message"') && !text.includes('pong'))
            console.log(`[${this.name}] ws< ${text.slice(0, 200)}`);
        });
      });
    }
    await this.page.goto('/');
    return this.page;
  }

  async register(): Promise<void> {
    const page = this.page;
    await page.getByRole('tab', { name: 'Create account' }).click();
    await page.getByLabel('Username').fill(this.name);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await this.waitOnline();
  }

  async signIn(password = PASSWORD): Promise<void> {
    const page = this.page;
    await page.getByLabel('Username').fill(this.name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await this.waitOnline();
  }

  async waitOnline(): Promise<void> {
    try {
      await this.page.locator('.connection', { hasText: /^Online$/ }).waitFor({ timeout: 30_000 });
    } catch (error) {
      await this.screenshot(`failed-online-${this.name}`);
      const shown = (await this.page.locator('body').textContent()) ?? '';
      throw new Error(`${this.name} did not get online; the page shows:\n${shown.slice(0, 600)}`, {
        cause: error,
      });
    }
  }

  /** Finds a user by name in the search box and opens (or creates) the direct chat. */
  async startChatWith(other: Person): Promise<void> {
    const search = this.page.getByRole('searchbox', { name: 'Search chats and people' });
    await search.fill(other.name);
    await this.page
      .locator('.conversation-row', { hasText: other.name })
      .filter({ hasText: 'Start a chat' })
      .click();
    await this.#waitForTitle(other.name);
  }

  /** Opens a conversation from the list by its title. */
  async openChat(title: string): Promise<void> {
    await this.page.locator('a.conversation-row', { hasText: title }).click();
    await this.#waitForTitle(title);
  }

  async #waitForTitle(title: string): Promise<void> {
    await this.page.locator('.chat-header h1', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }).waitFor();
  }

  async chatTitle(): Promise<string | null> {
    const heading = this.page.locator('.chat-header h1');
    return (await heading.count()) > 0 ? heading.textContent() : null;
  }

  composer(): Locator {
    return this.page.getByRole('textbox', { name: /^Message to / });
  }

  async send(text: string): Promise<void> {
    await this.composer().fill(text);
    await this.composer().press('Enter');
  }

  /** The texts of the messages shown in the open chat, in display order. */
  async texts(): Promise<string[]> {
    return this.page.locator('.messages .message .text').allTextContents();
  }

  /** The status marks of my own messages in the open chat, in display order. */
  async myStatuses(): Promise<Array<string | null>> {
    return this.page
      .locator('.messages .message.mine')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-status')));
  }

  async unreadBadge(title: string): Promise<string | null> {
    const badge = this.page.locator('a.conversation-row', { hasText: title }).locator('.badge');
    return (await badge.count()) > 0 ? badge.getAttribute('data-count') : null;
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
