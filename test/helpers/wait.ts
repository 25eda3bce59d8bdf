// Polling, for conditions that announce themselves by no event a test can await: another process's view
// of a shared database, a server coming back after an outage. Await an event instead wherever there is
// one (RunningServer.waitForOutput, LogCapture.waitForLine, a held request's 100 Continue).

export interface PollOptions {
  /** The last try is the first that starts this long or longer after `since` (0: exactly one try). */
  withinMs: number;
  /** The pause between tries. */
  everyMs?: number;
  /** When the clock started (Date.now()); by default, the first try. */
  since?: number;
}

export interface Polled<T> {
  /** The last try's value. */
  value: T;
  /** Whether it met the condition. */
  met: boolean;
  /** When the last try started, in ms after `since`. */
  afterMs: number;
}

/** Runs `attempt` until its value meets `until` or the time is up; resolves with the last try, met or not. */
export async function poll<T>(attempt: () => T | Promise<T>, until: (value: T) => boolean, options: PollOptions): Promise<Polled<T>> {
  const since = options.since ?? Date.now();
  for (;;) {
    const afterMs = Date.now() - since;
    const value = await attempt();
    if (until(value)) return { value, met: true, afterMs };
    if (afterMs >= options.withinMs) return { value, met: false, afterMs };
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 10));
  }
}

/** Resolves once `condition` holds, with how long after `since` the try that saw it started; rejects naming `what` when the time is up. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, options: PollOptions = { withinMs: 10_000 }): Promise<number> {
  const { met, afterMs } = await poll(condition, Boolean, options);
  if (!met) throw new Error(`timed out waiting for ${what} (${afterMs} ms)`);
  return afterMs;
}
