// When a message that failed is tried again, and when it is given up: the outbox's one schedule.

/** The first retry comes this long after the first failure; each later one waits twice as long as the one before… */
export const FIRST_RETRY_MS = 5_000;
/** …up to this. */
export const MAX_RETRY_MS = 5 * 60_000;
/** A message still failing this long after it was queued is given up (kept, marked failed, logged as an error). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** A claimed message is another sender's to take when its claimant has not finished within this. */
export const LEASE_MS = 60_000;
/** The sender looks for due messages at least this often, woken or not. */
export const POLL_MS = 1_000;

/** How long to wait after the failure of attempt number `attempts` (1 = the first): 5 s, 10 s, 20 s … 5 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
}

export type AfterFailure = { giveUp: true } | { giveUp: false; retryAt: Date };

/** What to do with a message queued at `createdAt` whose attempt number `attempts` failed at `now`. */
export function afterFailure(attempts: number, createdAt: Date, now: Date): AfterFailure {
  if (now.getTime() - createdAt.getTime() >= GIVE_UP_AFTER_MS) return { giveUp: true };
  return { giveUp: false, retryAt: new Date(now.getTime() + retryDelayMs(attempts)) };
}
