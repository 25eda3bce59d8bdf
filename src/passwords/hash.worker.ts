// Runs inside a worker thread of the hash pool (see passwords.ts): bcrypt's CPU work, off the event loop.
import bcrypt from 'bcryptjs';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

export default function runHashTask(task: HashTask): Promise<string | boolean> {
  if (task.op === 'hash') return bcrypt.hash(task.password, task.cost);
  if (task.op === 'compare') return bcrypt.compare(task.password, task.hash);
  throw new Error('Unknown hash task');
}
