import { UsageError } from '../cli/errors.js';
import type { Env } from '../ui/color.js';
import type { CredentialsFile } from './credentials.js';

export const DEFAULT_SERVER = 'http://localhost:8080';

/** `localhost:8080/` → `http://localhost:8080`; refuses what is not an http(s) URL. */
export function normalizeServer(raw: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // URL's own message ("Invalid URL") says less than ours.
    throw new UsageError(`${JSON.stringify(raw)} is not a server URL (like http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the server URL must start with http:// or https://, not ${url.protocol}//`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError('the server URL must not carry a query, fragment or credentials');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** --server, else IM_SERVER, else the server of the last login, else the local default. */
export function resolveServer(flag: string | undefined, env: Env, file: CredentialsFile): string {
  if (flag) return normalizeServer(flag);
  if (env.IM_SERVER) return normalizeServer(env.IM_SERVER);
  return file.current ?? DEFAULT_SERVER;
}

/** The WebSocket endpoint of a server. */
export function webSocketUrl(server: string): string {
  const url = new URL(`${server}/v1/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
