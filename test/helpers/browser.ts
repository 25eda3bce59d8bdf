// Debian's chromium, driven by playwright-core. Where it is not installed the browser tests are skipped
// with a loud message, so `npm test` passes on a laptop; under CI=true a missing browser is a failure.
import { spawnSync } from 'node:child_process';
import { describeWhenAvailable } from './services';

/** The chromium binary on PATH, or undefined. */
export function findChromium(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).stdout.trim();
  return found.split('\n')[0] || undefined;
}

/** The flags the browser tests run chromium with (no sandbox: CI runs as root in a container). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export function describeWithChromium(title: string, body: (executablePath: string) => void): void {
  const executablePath = findChromium();
  describeWhenAvailable(Boolean(executablePath), 'chromium is not installed (apt-get install -y chromium)', title, () => body(executablePath ?? ''));
}
