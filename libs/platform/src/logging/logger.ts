import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they appear in a logged object. Secret
 * instances already print "[redacted]"; this catches raw strings (headers, request bodies).
 */
export const REDACTED_KEYS = [
  'password',
  'passwd',
  'secret',
  'hmac',
  'hmacKey',
  'ntHash',
  'nthash',
  'privateKey',
  'authorization',
  'cookie',
  'challengePassword',
  'token',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of REDACTED_KEYS) {
    paths.push(k, `*.${k}`, `*.*.${k}`);
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'headers.authorization');
  return paths;
}

export interface LoggerConfig {
  app: string;
  level?: string;
  /** Write somewhere other than stdout (tests capture lines here). */
  destination?: NodeJS.WritableStream;
}

/** JSON logs (pino) with secret redaction; one per process, children per component. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    name: config.app,
    level: config.level ?? 'info',
    base: { app: config.app, pid: process.pid },
    redact: { paths: redactPaths(), censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return config.destination ? pino(options, config.destination as never) : pino(options);
}
