import type { TokenPair } from '@im/contracts';
import type { z } from 'zod';
import { CliError, ExitCode } from '../cli/errors.js';
import type { Account, CredentialStore } from '../store/credentials.js';
import type { Authed } from './endpoints.js';
import * as endpoints from './endpoints.js';
import { ApiError, type HttpClient } from './http.js';

/** Refresh the access token when it expires within this long. */
const REFRESH_MARGIN_MS = 30_000;

const SESSION_ENDED = new Set(['AUTH_REFRESH_INVALID', 'AUTH_REFRESH_REUSED', 'AUTH_SESSION_REVOKED']);

export function notLoggedIn(server: string): CliError {
  return new CliError(`not logged in to ${server}`, {
    exitCode: ExitCode.noAuth,
    hint: 'run `im login <username>`, or `im register <username>` for a new account',
  });
}

/** The account fields that come from a token answer. */
export function tokenFields(pair: TokenPair, now = Date.now()) {
  return {
    accessToken: pair.accessToken,
    accessTokenExpiresAt: now + pair.expiresIn * 1000,
    refreshToken: pair.refreshToken,
    refreshTokenExpiresAt: now + pair.refreshExpiresIn * 1000,
  };
}

/**
 * A logged-in account on one server: authenticated calls with the access
 * token, refreshed when it is about to expire (or was refused as expired).
 * Refresh tokens rotate on every use and a reused one ends the session, so
 * the refresh happens under the credentials lock and re-reads the file first:
 * another `im` process may already have rotated it.
 */
export class Session implements Authed {
  readonly http: HttpClient;
  readonly store: CredentialStore;
  #account: Account;

  private constructor(http: HttpClient, store: CredentialStore, account: Account) {
    this.http = http;
    this.store = store;
    this.#account = account;
  }

  static async load(http: HttpClient, store: CredentialStore): Promise<Session> {
    const account = await store.account(http.server);
    if (!account) throw notLoggedIn(http.server);
    return new Session(http, store, account);
  }

  get account(): Account {
    return this.#account;
  }

  get server(): string {
    return this.http.server;
  }

  get userId(): string {
    return this.#account.userId;
  }

  async accessToken(): Promise<string> {
    if (this.#account.accessTokenExpiresAt - Date.now() > REFRESH_MARGIN_MS) return this.#account.accessToken;
    return this.refresh(this.#account.accessToken);
  }

  /** Gets a new access token unless another process already replaced `staleToken`. */
  async refresh(staleToken: string): Promise<string> {
    let ended = false;
    const token = await this.store.update(async (file) => {
      const current = file.accounts[this.server];
      if (!current || current.sessionId !== this.#account.sessionId) {
        ended = true;
        return '';
      }
      if (
        current.accessToken !== staleToken &&
        current.accessTokenExpiresAt - Date.now() > REFRESH_MARGIN_MS
      ) {
        this.#account = current;
        return current.accessToken;
      }
      let pair: TokenPair;
      try {
        pair = await endpoints.refresh(this.http, current.refreshToken);
      } catch (error) {
        if (error instanceof ApiError && SESSION_ENDED.has(error.code)) {
          delete file.accounts[this.server];
          if (file.current === this.server) file.current = null;
          ended = true;
          return '';
        }
        throw error;
      }
      const updated: Account = { ...current, ...tokenFields(pair) };
      file.accounts[this.server] = updated;
      this.#account = updated;
      return updated.accessToken;
    });
    if (ended) throw this.#ended();
    return token;
  }

  async call<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined>; schema?: S } = {},
  ): Promise<z.infer<S>> {
    const token = await this.accessToken();
    try {
      return await this.http.request(method, path, { ...options, token });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      if (error.code === 'AUTH_SESSION_REVOKED') {
        await this.forget();
        throw this.#ended();
      }
      if (error.code !== 'AUTH_TOKEN_EXPIRED' && error.code !== 'AUTH_TOKEN_INVALID') throw error;
      const fresh = await this.refresh(token);
      return this.http.request(method, path, { ...options, token: fresh });
    }
  }

  /** Saves a change to this account (names and keys seen), merged into the file under the lock. */
  async remember(change: (account: Account) => void): Promise<void> {
    await this.store.update((file) => {
      const current = file.accounts[this.server];
      if (!current || current.sessionId !== this.#account.sessionId) return;
      change(current);
      this.#account = current;
    });
  }

  /** Removes this account from the credentials file (logout, or the server ended the session). */
  async forget(): Promise<void> {
    await this.store.update((file) => {
      const current = file.accounts[this.server];
      if (!current || current.sessionId !== this.#account.sessionId) return;
      delete file.accounts[this.server];
      if (file.current === this.server) file.current = null;
    });
  }

  #ended(): CliError {
    return new CliError(`your session on ${this.server} has ended (logged out from another device?)`, {
      exitCode: ExitCode.noAuth,
      hint: 'run `im login` to log in again',
    });
  }
}
