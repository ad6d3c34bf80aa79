import { hostname } from 'node:os';
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerConfig {
  service: string;
  version?: string;
  /** Distinguishes copies of one service; default: host name and pid. */
  instance?: string;
  level?: string;
  /** Human-readable output (pino-pretty). Only for development. */
  pretty?: boolean;
  /** Where to write; default stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/** Paths pino masks in every log line, wherever they appear up to two levels deep. */
export const REDACT_PATHS = [
  'password',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'privateKey',
  'secret',
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.privateKey',
  '*.secret',
  '*.authorization',
];

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: {
      service: config.service,
      version: config.version ?? '0.0.0',
      instance: config.instance ?? `${hostname()}:${process.pid}`,
    },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (config.pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return config.destination ? pino(options, config.destination) : pino(options);
}

/** A logger that drops everything (library defaults, tests that do not read logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
