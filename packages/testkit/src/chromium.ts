import { existsSync } from 'node:fs';

/** Flags for headless Chromium on a closed network, as root (see the environment notes). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Launch options for playwright-core's `chromium.launch()` with Debian's
 * Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium): no browser download.
 * Throws with how to install it when it is missing, so browser tests fail
 * clearly instead of being skipped.
 */
export function chromiumLaunchOptions(): { executablePath: string; args: string[]; headless: true } {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed at ${executablePath}: run "apt-get update && apt-get install -y chromium", or set CHROMIUM_PATH`,
    );
  }
  return { executablePath, args: [...CHROMIUM_FLAGS], headless: true };
}
