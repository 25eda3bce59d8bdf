// Structured logs: one JSON line per event. Never log passwords, hashes or tokens;
// the redact list is a second line of defence, not the first.
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'passwordHash', '*.passwordHash'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
