import type { Readable, Writable } from 'node:stream';
import { HttpClient } from '../api/http.js';
import { Session } from '../api/session.js';
import { Directory } from '../directory.js';
import { type KeyNotice, Keys } from '../keys.js';
import { CredentialStore, configDir } from '../store/credentials.js';
import { resolveServer } from '../store/server.js';
import { colorEnabled, createStyle, type Env, type Style } from '../ui/color.js';
import type { TtyInput } from '../ui/prompt.js';

/** A terminal output stream (process.stdout when it is a TTY). */
export interface TtyOutput extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Where a run of `im` reads and writes: the process's streams and environment, or a test's. */
export interface Io {
  stdin: TtyInput & Readable;
  stdout: TtyOutput;
  stderr: TtyOutput;
  env: Env;
}

export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Everything a command needs: output helpers, the server, the credentials, and the logged-in session. */
export class Context {
  readonly io: Io;
  /** Styles for standard output and standard error (each on only when that stream is a terminal). */
  readonly out: Style;
  readonly err: Style;
  readonly store: CredentialStore;
  readonly server: string;
  readonly http: HttpClient;
  #session: Promise<Session> | undefined;
  #keys: Promise<Keys> | undefined;
  #directory: Promise<Directory> | undefined;

  private constructor(io: Io, store: CredentialStore, server: string) {
    this.io = io;
    this.out = createStyle(colorEnabled(io.stdout, io.env));
    this.err = createStyle(colorEnabled(io.stderr, io.env));
    this.store = store;
    this.server = server;
    this.http = new HttpClient(server);
  }

  static async create(io: Io, serverFlag: string | undefined): Promise<Context> {
    const store = new CredentialStore(configDir(io.env));
    const server = resolveServer(serverFlag, io.env, await store.read());
    return new Context(io, store, server);
  }

  /** Standard output is a terminal (interactive screens, colours, relative times). */
  get interactive(): boolean {
    return this.io.stdout.isTTY === true;
  }

  print(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  /** A note for the person (progress, hints): standard error, so that standard output stays data. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  warn(line: string): void {
    this.io.stderr.write(`${this.err.yellow('warning:')} ${line}\n`);
  }

  /** What to do when a contact's keys change; a warning on standard error unless a screen takes it over. */
  onKeyChange: (notice: KeyNotice) => void = (notice) => {
    void this.directory().then((directory) => {
      const name = directory.name(notice.userId);
      this.warn(
        `${name}'s keys changed (version ${notice.from} → ${notice.to}). ` +
          `Compare your safety number again: im fingerprint ${name}`,
      );
    });
  };

  session(): Promise<Session> {
    this.#session ??= Session.load(this.http, this.store);
    return this.#session;
  }

  keys(): Promise<Keys> {
    this.#keys ??= this.session().then(async (session) => {
      const directory = await this.directory();
      const keys = await Keys.load(session, (userId) => directory.name(userId));
      keys.onChange((notice) => this.onKeyChange(notice));
      return keys;
    });
    return this.#keys;
  }

  directory(): Promise<Directory> {
    this.#directory ??= this.session().then((session) => new Directory(session));
    return this.#directory;
  }
}
