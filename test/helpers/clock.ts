import type { Clock } from '../../src/shared/clock';

/** A clock that only moves when a test moves it. */
export class TestClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1, 12, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}
