// A small load generator for the fault suite, over keep-alive HTTP to a running server (no outside tools):
// N concurrent loops, each running operations the test chooses, paced to a total rate or as fast as they
// can; every operation's latency is kept in windows of time (p50/p99 of any span of the run), and every
// answer is counted by HTTP status and by the GraphQL extensions.code it carried.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** What one request came back with. `code` is the first error's extensions.code, OK without errors, NO_ANSWER without a response. */
export interface Answer<TData> {
  status: number;
  code: string;
  data?: TData;
}

/** status 0: no HTTP answer at all (refused, reset, timed out): the request may or may not have been served. */
export const NO_ANSWER = 'NO_ANSWER';

const printed = new WeakMap<object, string>();

/** GraphQL over one keep-alive connection pool to `url`. */
export class LoadClient {
  private readonly agent: Agent;

  constructor(
    readonly url: string,
    sockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  execute<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables, token?: string): Promise<Answer<TData>> {
    let query = printed.get(document);
    if (query === undefined) {
      query = print(document as DocumentNode);
      printed.set(document, query);
    }
    const body = JSON.stringify({ query, variables });
    return new Promise((resolve) => {
      const noAnswer = () => resolve({ status: 0, code: NO_ANSWER });
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', noAnswer);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                data?: TData | null;
                errors?: Array<{ extensions?: { code?: unknown } }>;
              };
              const code = parsed.errors?.length ? String(parsed.errors[0].extensions?.code ?? 'NO_CODE') : 'OK';
              resolve({ status, code, ...(parsed.data ? { data: parsed.data } : {}) });
            } catch {
              resolve({ status, code: 'NOT_JSON' });
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', noAnswer);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** One operation of a loop: what kind it was, and its answer (or what the test makes of it). */
export interface Outcome {
  name: string;
  status: number;
  code: string;
}

export interface LoadOptions {
  workers: number;
  /** Stop starting operations after this long; without it, run until stop(). */
  durationMs?: number;
  /** Operations per second of all loops together; without it, each loop starts its next one at once. */
  rate?: number;
  /** Latencies are kept per window of this many ms (default 1000). */
  windowMs?: number;
  /** One operation of loop `worker`. Its latency is the time until it resolves. */
  operation: (worker: number) => Promise<Outcome>;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  elapsedMs: number;
  operations: number;
  /** Operations completed per second. */
  rate: number;
  /** Counts by HTTP status (0: no answer). */
  byStatus: Record<string, number>;
  /** Counts by extensions.code (OK: no error). */
  byCode: Record<string, number>;
  /** Counts by operation, then by `status code`. */
  byOperation: Record<string, Record<string, number>>;
  /** Latency (ms) of the operations that started in [fromMs, toMs) after the start. */
  latency(fromMs?: number, toMs?: number): LatencySummary;
  /**
   * The median of the p99s of the windows in [fromMs, toMs): the tail of a typical window, which one stalled
   * window (another process taking the machine for a second) does not decide.
   */
  typicalP99(fromMs: number, toMs: number): number;
  /** Operations per second of those that started in [fromMs, toMs). */
  rateBetween(fromMs: number, toMs: number): number;
}

export interface RunningLoad {
  /** Resolves when the run ends (durationMs passed, or stop() called, and in-flight operations are done). */
  done: Promise<LoadResult>;
  /** Start no new operation; resolves once the running ones are done. */
  stop(): Promise<LoadResult>;
}

/** The value at quantile q of ascending `sorted` (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const round = (value: number) => Math.round(value * 100) / 100;

export function startLoad(options: LoadOptions): RunningLoad {
  const windowMs = options.windowMs ?? 1000;
  const windows: number[][] = [];
  const byStatus: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  const byOperation: Record<string, Record<string, number>> = {};
  const started = performance.now();
  let stopped = false;
  let stopTimer: NodeJS.Timeout | undefined;
  const count = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };

  const loop = async (worker: number) => {
    // Paced loops start operations at rate/workers each, from staggered offsets; one that falls behind catches up at once.
    const period = options.rate ? (1000 * options.workers) / options.rate : 0;
    let next = started + (period * worker) / options.workers;
    while (!stopped) {
      if (period > 0) {
        const wait = next - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped) break;
        next += period;
      }
      const begin = performance.now();
      const outcome = await options.operation(worker);
      const latency = performance.now() - begin;
      const index = Math.floor((begin - started) / windowMs);
      (windows[index] ??= []).push(latency);
      count(byStatus, String(outcome.status));
      count(byCode, outcome.code);
      count((byOperation[outcome.name] ??= {}), `${outcome.status} ${outcome.code}`);
    }
  };

  const summarise = (): LoadResult => {
    const elapsedMs = performance.now() - started;
    const inSpan = (fromMs: number, toMs: number) => windows.slice(Math.floor(fromMs / windowMs), Math.ceil(toMs / windowMs)).flatMap((each) => each ?? []);
    const operations = windows.reduce((sum, each) => sum + (each?.length ?? 0), 0);
    return {
      elapsedMs: Math.round(elapsedMs),
      operations,
      rate: round((operations * 1000) / elapsedMs),
      byStatus,
      byCode,
      byOperation,
      latency(fromMs = 0, toMs = elapsedMs) {
        const sorted = Float64Array.from(inSpan(fromMs, toMs)).sort();
        return { count: sorted.length, p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted[sorted.length - 1] ?? 0) };
      },
      typicalP99(fromMs, toMs) {
        const p99s = windows
          .slice(Math.floor(fromMs / windowMs), Math.ceil(toMs / windowMs))
          .filter((each) => each?.length)
          .map((each) => percentile(Float64Array.from(each).sort(), 0.99));
        return round(percentile(Float64Array.from(p99s).sort(), 0.5));
      },
      rateBetween(fromMs, toMs) {
        return round((inSpan(fromMs, toMs).length * 1000) / (toMs - fromMs));
      },
    };
  };

  const done = Promise.all(Array.from({ length: options.workers }, (_, worker) => loop(worker))).then(() => {
    clearTimeout(stopTimer);
    return summarise();
  });
  if (options.durationMs !== undefined) {
    stopTimer = setTimeout(() => {
      stopped = true;
    }, options.durationMs);
  }
  return {
    done,
    stop() {
      stopped = true;
      return done;
    },
  };
}

/** Run for options.durationMs. */
export function runLoad(options: LoadOptions & { durationMs: number }): Promise<LoadResult> {
  return startLoad(options).done;
}

/** A process's resident set size in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

