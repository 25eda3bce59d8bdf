// Structured logs: one JSON line per event. Never log passwords, hashes or tokens;
// the redact list and the error serializer are a second line of defence, not the first.
import pino, { type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type { Logger };

// The query builder writes a failed statement into the error's message with its values filled in
// (an email, a bcrypt hash): where a text holds a statement, its literals are replaced by `?`.
const SQL_STATEMENT = /\b(?:insert\s+into|update\s+\S+\s+set|delete\s+from|select\b[\s\S]*?\bfrom|values\s*\()/i;
const SQL_STRING = /'(?:[^']|'')*'/g;
const SQL_NUMBER = /(?<![\w`"$.:])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w`"])/gi;
// Driver fields that hold bound values themselves, or a row's values (PostgreSQL's `detail`: "Key (email)=(…)").
const VALUE_FIELDS = new Set(['bindings', 'parameters', 'params', 'values', 'detail']);
const STACK_FRAME = /^\s+at /;
const MAX_DEPTH = 4;

/** The statement's template: its string and number literals replaced by `?`. Text without a statement is kept. */
export function withoutSqlValues(text: string): string {
  return SQL_STATEMENT.test(text) ? text.replace(SQL_STRING, '?').replace(SQL_NUMBER, '?') : text;
}

function scrub(value: unknown, key: string, depth: number): unknown {
  if (typeof value === 'string') {
    // A stack starts with the message: clean its lines, keep its frames (file:line:column are not values).
    return key === 'stack' ? value.split('\n').map((line) => (STACK_FRAME.test(line) ? line : withoutSqlValues(line))).join('\n') : withoutSqlValues(value);
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, key, depth + 1));
  const clean: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    if (!VALUE_FIELDS.has(name)) clean[name] = scrub(field, name, depth + 1);
  }
  return clean;
}

/**
 * pino's error serializer (type, message, stack, and the error's own fields), minus bound values: an error
 * keeps its name, code and SQL template, never the values of the statement that failed.
 */
export function serializeError(error: unknown): unknown {
  return scrub(pino.stdSerializers.err(error as Error), 'err', 0);
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError, error: serializeError },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'passwordHash', '*.passwordHash'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
