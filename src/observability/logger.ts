import { hostname } from 'node:os';
import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/variables';

/**
 * Paths removed from any object logged, whatever logs it. Request lines carry no headers or
 * bodies in the first place; this is the net under that rule (a future `log.info({ req })`,
 * an error that carries a request).
 */
const REDACT = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.cookie',
  'req.headers.cookie',
  'secret',
  'token',
  'body',
  'req.body',
  'request.body',
  '*.authorization',
  '*.secret',
  '*.token',
  '*.body',
];

/** JSON lines on stdout (or `destination`): ISO time, level as a word, the process and host. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
}
