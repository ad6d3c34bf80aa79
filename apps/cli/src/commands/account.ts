import { hostname } from 'node:os';
import { NewPassword, type TokenPair, Username } from '@im/contracts';
import {
  backupNeedsUpgrade,
  fingerprint,
  generateIdentity,
  type IdentityKeys,
  isCryptoError,
  openBackup,
  publicBundle,
  sealBackup,
  serializeIdentity,
} from '@im/crypto';
import type { z } from 'zod';
import type { Authed } from '../api/endpoints.js';
import * as endpoints from '../api/endpoints.js';
import { type HttpClient, isApiError } from '../api/http.js';
import { tokenFields } from '../api/session.js';
import type { Context } from '../cli/context.js';
import { CliError, ExitCode, UsageError } from '../cli/errors.js';
import { flagOption, type OptionValues, stringOption } from '../cli/parse.js';
import { createClient } from '../connection.js';
import { askLine, firstLine, readAll, readSecret } from '../ui/prompt.js';

export async function registerCommand(ctx: Context, args: string[], options: OptionValues): Promise<void> {
  const username = await usernameFrom(ctx, args, 'register');
  const password = await passwordFrom(ctx, options, { confirm: true });
  const policy = NewPassword.safeParse(password);
  if (!policy.success) throw new CliError(`password: ${policy.error.issues[0]?.message ?? 'not accepted'}`);
  await endpoints.register(ctx.http, username, password);
  ctx.note(`Account ${ctx.err.bold(username)} created on ${ctx.server}.`);
  await logIn(ctx, username, password, stringOption(options, 'device-name'));
}

export async function loginCommand(ctx: Context, args: string[], options: OptionValues): Promise<void> {
  const username = await usernameFrom(ctx, args, 'login');
  const password = await passwordFrom(ctx, options, { confirm: false });
  await logIn(ctx, username, password, stringOption(options, 'device-name'));
}

export async function logoutCommand(ctx: Context): Promise<void> {
  const session = await ctx.session();
  try {
    await endpoints.logout(session);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.noAuth) {
      ctx.note(`Logged out of ${ctx.server} (the session had already ended).`);
      return;
    }
    if (!(error instanceof CliError && error.exitCode === ExitCode.unavailable)) throw error;
    ctx.warn(`${error.message}; this device's session stays valid on the server until it expires`);
    ctx.warn('end it later from another device with `im devices revoke`');
  }
  await session.forget();
  ctx.note(`Logged out of ${ctx.server}; credentials and keys removed from this machine.`);
}

export async function whoamiCommand(ctx: Context): Promise<void> {
  const session = await ctx.session();
  const keys = await ctx.keys();
  const { account } = session;
  const rows: Array<[string, string]> = [
    ['user', account.username],
    ['server', session.server],
    ['device', `${account.deviceName} (${account.sessionId})`],
    ['keys', `version ${keys.identity.keyVersion}, fingerprint ${fingerprint(publicBundle(keys.identity))}`],
  ];
  for (const [label, value] of rows) ctx.print(`${ctx.out.dim(label.padEnd(7))} ${value}`);
}

// ---- login ------------------------------------------------------------------------

async function usernameFrom(ctx: Context, args: string[], command: string): Promise<string> {
  const username = args[0] ?? (await askLine(ctx.io.stdin, ctx.io.stderr, 'Username: ')).trim();
  const valid = Username.safeParse(username);
  if (!valid.success)
    throw new UsageError(`username: ${valid.error.issues[0]?.message ?? 'invalid'}`, command);
  return username;
}

async function passwordFrom(
  ctx: Context,
  options: OptionValues,
  { confirm }: { confirm: boolean },
): Promise<string> {
  if (flagOption(options, 'password-stdin')) {
    const password = firstLine(await readAll(ctx.io.stdin, 64 * 1024));
    if (password === '') throw new CliError('no password on standard input');
    return password;
  }
  const password = await readSecret(ctx.io.stdin, ctx.io.stderr, 'Password: ');
  if (password === '') throw new CliError('no password given');
  if (confirm) {
    const again = await readSecret(ctx.io.stdin, ctx.io.stderr, 'Repeat password: ');
    if (again !== password) throw new CliError('the passwords do not match');
  }
  return password;
}

/** Authenticated calls with a fresh token pair, before the account is saved. */
function withToken(http: HttpClient, token: string): Authed {
  return {
    call: <S extends z.ZodType>(
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      options: { body?: unknown; query?: Record<string, string | number | undefined>; schema?: S } = {},
    ) => http.request(method, path, { ...options, token }),
  };
}

async function logIn(
  ctx: Context,
  username: string,
  password: string,
  deviceNameOption?: string,
): Promise<void> {
  const deviceName = (deviceNameOption ?? `im on ${hostname()}`).slice(0, 64);
  const pair = await endpoints.login(ctx.http, username, password, deviceName);
  const api = withToken(ctx.http, pair.accessToken);
  const keyring = await restoreOrCreateKeys(ctx, api, pair, password);
  const previous = await ctx.store.update((file) => {
    const old = file.accounts[ctx.server];
    file.accounts[ctx.server] = {
      server: ctx.server,
      userId: pair.user.id,
      username: pair.user.username,
      sessionId: pair.sessionId,
      deviceName,
      ...tokenFields(pair),
      keyring: keyring.map(serializeIdentity),
      // Keys pinned for contacts carry over when the same user logs in again.
      knownKeys: old?.userId === pair.user.id ? old.knownKeys : {},
      usernames: old?.userId === pair.user.id ? old.usernames : {},
    };
    file.current = ctx.server;
    return old;
  });
  if (previous && previous.sessionId !== pair.sessionId) await endPreviousSession(ctx, previous.accessToken);
  await registerDevice(ctx);
  const current = keyring[keyring.length - 1]!;
  ctx.note(`Logged in as ${ctx.err.bold(pair.user.username)} on ${ctx.server} (device "${deviceName}").`);
  ctx.note(`Your key fingerprint: ${fingerprint(publicBundle(current))}`);
}

/** The keys of this account: opened from the backup sealed under the password, or created and backed up. */
async function restoreOrCreateKeys(
  ctx: Context,
  api: Authed,
  pair: TokenPair,
  password: string,
): Promise<IdentityKeys[]> {
  const userId = pair.user.id;
  const stored = await endpoints.keyBackup(api).catch((error: unknown) => {
    if (isApiError(error) && error.status === 404) return undefined;
    throw error;
  });
  if (stored) {
    let keyring: IdentityKeys[];
    try {
      keyring = await openBackup(stored.backup, password);
    } catch (error) {
      if (isCryptoError(error, 'CRYPTO_BAD_PASSWORD')) {
        throw new CliError('your key backup does not open with this password', {
          hint: 'it is sealed under the password you had when it was made; log in with a client that still has your keys and change the password there',
        });
      }
      throw error;
    }
    if (!keyring.some((keys) => keys.keyVersion === stored.keyVersion)) {
      ctx.warn(`your key backup lacks key version ${stored.keyVersion}; some messages may not open`);
    }
    if (backupNeedsUpgrade(stored.backup)) {
      try {
        await endpoints.putKeyBackup(api, stored.keyVersion, await sealBackup(keyring, password));
      } catch (error) {
        ctx.warn(`could not re-seal your key backup with stronger parameters: ${describe(error)}`);
      }
    }
    return keyring;
  }
  // No backup: this account has never had keys (or lost them). Make the next version.
  const published = await endpoints.userKeys(api, userId).catch((error: unknown) => {
    if (isApiError(error) && error.status === 404) return undefined;
    throw error;
  });
  if (published)
    ctx.warn('your published keys have no backup; creating new keys (older messages stay unreadable)');
  ctx.note('Creating your encryption keys…');
  const identity = await generateIdentity(userId, (published?.keyVersion ?? 0) + 1);
  const bundle = publicBundle(identity);
  await endpoints.putKeys(api, {
    keyVersion: identity.keyVersion,
    x25519: bundle.x25519,
    ed25519: bundle.ed25519,
    backup: await sealBackup(identity, password),
  });
  return [identity];
}

/** Logging in again on the same server replaces the old session: end it rather than leave it dangling. */
async function endPreviousSession(ctx: Context, accessToken: string): Promise<void> {
  try {
    await endpoints.logout(withToken(ctx.http, accessToken));
  } catch (error) {
    // Expired or already revoked: nothing left to end. Anything else is not worth failing a login for.
    if (!isApiError(error) || error.status !== 401) {
      ctx.warn(`could not end the previous session on this machine: ${describe(error)}`);
    }
  }
}

/**
 * Connects once, so that the server creates this device's cursors now: what
 * arrives from here on waits in its offline queue for `im tail` or `im chat`.
 */
async function registerDevice(ctx: Context): Promise<void> {
  const client = createClient(await ctx.session(), { sendOnly: true });
  const ready = client.next('ready', () => true, 10_000);
  client.connect();
  try {
    await ready;
  } catch (error) {
    ctx.warn(`could not connect to the live service yet (${describe(error)}); messages will still arrive`);
  } finally {
    await client.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
