// A redis-server of the test's own, on a free port, to stop and start under a running server. The machine's
// shared Redis (127.0.0.1:6379) is never stopped or flushed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** The redis-server binary; throws when it is not installed (these tests start and kill their own). */
export function redisServerBinary(): string {
  const binary = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!binary) throw new Error('redis-server is not installed: this test starts and kills its own Redis');
  return binary;
}

/** A redis-server of the test's own on `port`; resolves once it says it accepts connections. */
export function startRedis(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}

/** Stops it (SIGKILL by default: gone at once, as when its machine fails); resolves once it has exited. */
export function stopRedis(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
