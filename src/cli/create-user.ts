// npm run user:create -- --email <email> --name <name> [--admin]
// The password is read from standard input (prompted without echo on a terminal), so scripts can pipe it.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../passwords/passwords';
import { DomainError } from '../shared/errors';
import { systemClock } from '../shared/clock';
import { ConfigError, describeDatabase, toolSettings, type DatabaseSettings } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../shared/logger';
import { Role } from '../shared/role';
import { UserService } from '../users/user.service';

const USAGE = 'Usage: npm run user:create -- --email <email> --name <name> [--admin]  (password on standard input)';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  let text = '';
  return new Promise((resolve) => {
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (char === '\u0003') fail('\nCancelled');
        text = char === '\u007f' ? text.slice(0, -1) : text + char;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await readHidden('Password: ');
    const second = await readHidden('Repeat password: ');
    if (first !== second) fail('The passwords do not match');
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is what `echo` adds; it is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.email || !values.name) fail(USAGE);

  let database: DatabaseSettings;
  let cost: number;
  try {
    database = toolSettings.database();
    cost = toolSettings.bcryptCost();
  } catch (error) {
    if (error instanceof ConfigError) fail(`Configuration error: ${error.message}`);
    throw error;
  }

  const password = await readPassword();
  // A running server may hold the SQLite lock: this tool's one write is seen by it (data_version), so it needs none.
  const db = await openDatabase(database, createLogger('silent'), { migrate: true, lock: false, cacheSessions: false });
  const hasher = await createPasswordHasher({ cost, workers: 1, queueMax: 0 });
  try {
    const users = new UserService(hasher, systemClock, db.users);
    const role = values.admin ? Role.ADMIN : Role.USER;
    const user = await users.createUser({ email: values.email, name: values.name, password }, role);
    process.stdout.write(`Created ${role} ${user.email} (id ${user.publicId}) in ${describeDatabase(database)}\n`);
  } catch (error) {
    if (error instanceof DomainError) {
      const fields = error.fields ?? {};
      const details = Object.entries(fields).map(([field, problem]) => `  ${field}: ${problem}`);
      fail([`Could not create the user: ${error.message}`, ...details].join('\n'));
    }
    throw error;
  } finally {
    await hasher.close();
    await db.close();
  }
}

main().catch((error: unknown) => fail(`Failed: ${error instanceof Error ? error.message : String(error)}`));
