// Loaded into the server under test with `node -r ./bench/probe.js dist/main.js` (and so into every cluster worker).
// Every 200 ms it writes this process's event-loop delay and peak RSS to BENCH_PROBE_FILE.<pid>.json;
// SIGUSR2 resets the delay histogram, so the bench can measure one window (the login storm).
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');

// Preloads run in worker threads too (the hash pool): there this would measure the hash thread's own
// loop, blocked by bcrypt by design, and write it over the main thread's file under the same pid.
const base = process.env.BENCH_PROBE_FILE;
if (base && isMainThread) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const file = `${base}.${process.pid}.json`;
  const write = () => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    writeFileSync(
      file,
      JSON.stringify({
        pid: process.pid,
        eventLoopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), samples: histogram.count },
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      }),
    );
  };
  setInterval(write, 200).unref();
  process.on('SIGUSR2', () => histogram.reset());
}
