// Independent server processes (dist/main.js, as `npm start` runs it) on one database and one Redis: the
// way several instances run behind a load balancer. Each has its own port, memory and caches.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { TestDatabase } from './database';
import { startMain, stop, type RunningServer } from './process';
import type { GraphQLResponse } from './server';
import { REDIS } from './services';

export interface Instance {
  name: string;
  url: string;
  server: RunningServer;
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    options?: { token?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<TData>>;
  stop(): Promise<number | null>;
}

/** What every instance of a group shares: the secret that signs tokens (and derives refresh successors). */
export function groupEnv(database: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    BCRYPT_COST: '4',
    LOG_LEVEL: 'info',
    REDIS_URL: REDIS.url,
    RATE_LIMIT_LOGIN_IP: '100000/1m',
    RATE_LIMIT_SIGNUP_IP: '100000/1m',
    RATE_LIMIT_REFRESH_IP: '100000/1m',
    RATE_LIMIT_CHANGE_PASSWORD_IP: '100000/1m',
    LOGIN_MAX_FAILURES: '1000',
    ...database.env,
    ...extra,
  };
}

export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const server = await startMain(mkdtempSync(join(tmpdir(), `instance-${name}-`)), env);
  const url = server.ready.url as string;
  return {
    name,
    url,
    server,
    async execute(document, variables, options = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query: print(document as DocumentNode), variables }),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text), text } as GraphQLResponse<never>;
    },
    stop: () => stop(server.child),
  };
}

/** Start the instances at the same moment (they migrate an empty database together). */
export function startInstances(names: string[], env: Record<string, string>): Promise<Instance[]> {
  return Promise.all(names.map((name) => startInstance(name, env)));
}
