// PostgreSQL's announcements of changed sessions and users (LISTEN auth_changes; the triggers of the
// initial migration send them on commit), on a connection of its own. The feed is "live" only while a
// heartbeat on that same connection was answered recently: notifications committed before a heartbeat
// query arrive before its answer, so an answered heartbeat sent at time T proves that nothing committed
// before T is still on its way. Lost, stalled or refused: not live, and it reconnects with backoff.
import { Client, type ClientConfig } from 'pg';

export const CHANGES_CHANNEL = 'auth_changes';
/** How often the feed proves itself, and how old that proof may be before the feed counts as down. */
export const HEARTBEAT_MS = 250;
export const LIVE_WITHIN_MS = 1000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;

export type Change = { kind: 'session'; publicId: string } | { kind: 'user'; publicId: string } | { kind: 'reset' };

export interface ChangeFeed {
  /** True while announcements are proven to arrive. */
  live(): boolean;
  onChange(listener: (change: Change) => void): void;
  /** Resolves once the first connection attempt has succeeded or failed. */
  started: Promise<void>;
  close(): Promise<void>;
}

export type FeedLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export function parseChange(payload: string | undefined): Change {
  if (payload?.startsWith('s:')) return { kind: 'session', publicId: payload.slice(2) };
  if (payload?.startsWith('u:')) return { kind: 'user', publicId: payload.slice(2) };
  // Something we did not send: forget everything rather than guess.
  return { kind: 'reset' };
}

export function listenForChanges(connection: ClientConfig, log: FeedLog): ChangeFeed {
  const listeners: Array<(change: Change) => void> = [];
  const emit = (change: Change) => listeners.forEach((listener) => listener(change));
  let client: Client | undefined;
  let confirmedAt = Number.NEGATIVE_INFINITY;
  let heartbeatInFlight = false;
  let closed = false;
  let wasLive = false;
  let retryMs = RECONNECT_MIN_MS;
  let retry: NodeJS.Timeout | undefined;

  const drop = (lost: Client, why: string) => {
    if (client !== lost) return;
    client = undefined;
    confirmedAt = Number.NEGATIVE_INFINITY;
    emit({ kind: 'reset' });
    if (wasLive && !closed) log('warn', 'change feed lost: kept session answers are off until it is back', { reason: why });
    wasLive = false;
    lost.end().catch(() => undefined);
    schedule();
  };

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, retryMs);
    retry.unref();
    retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
  };

  const connect = async () => {
    const candidate = new Client({ ...connection, query_timeout: LIVE_WITHIN_MS });
    candidate.on('notification', (message) => {
      if (client === candidate) emit(parseChange(message.payload));
    });
    candidate.on('error', (error) => drop(candidate, error.message));
    candidate.on('end', () => drop(candidate, 'connection ended'));
    try {
      await candidate.connect();
      const sent = performance.now();
      await candidate.query(`listen ${CHANGES_CHANNEL}`);
      if (closed) {
        await candidate.end();
        return;
      }
      client = candidate;
      retryMs = RECONNECT_MIN_MS;
      // Whatever was kept before may have missed changes.
      emit({ kind: 'reset' });
      confirmedAt = sent;
      if (!wasLive) log('info', 'change feed live: kept session answers are on');
      wasLive = true;
    } catch (error) {
      candidate.removeAllListeners('end');
      candidate.end().catch(() => undefined);
      if (client !== candidate) schedule();
      void error;
    }
  };

  const heartbeat = setInterval(() => {
    const current = client;
    if (!current || heartbeatInFlight) return;
    heartbeatInFlight = true;
    const sent = performance.now();
    current.query('select 1').then(
      () => {
        if (client === current) confirmedAt = sent;
      },
      (error: Error) => drop(current, error.message),
    ).finally(() => {
      heartbeatInFlight = false;
    });
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const started = connect();

  return {
    started,
    live: () => client !== undefined && performance.now() - confirmedAt < LIVE_WITHIN_MS,
    onChange: (listener) => void listeners.push(listener),
    async close() {
      closed = true;
      clearInterval(heartbeat);
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
