// SQLite's committed migrations, listed explicitly so they run the same from ts-jest and from the compiled
// build. Add each new migration here, in order, and its PostgreSQL twin to ../postgresql/index.ts.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000CreateUsers } from './Migration20261123000000_create_users';
import { Migration20261123100000CreateSessions } from './Migration20261123100000_create_sessions';
import { Migration20261203000000TwoFactor } from './Migration20261203000000_two_factor';
import { Migration20261204000000MailOutbox } from './Migration20261204000000_mail_outbox';
import { Migration20261204000100Recovery } from './Migration20261204000100_recovery';

export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261123000000_create_users', class: Migration20261123000000CreateUsers },
  { name: 'Migration20261123100000_create_sessions', class: Migration20261123100000CreateSessions },
  { name: 'Migration20261203000000_two_factor', class: Migration20261203000000TwoFactor },
  { name: 'Migration20261204000000_mail_outbox', class: Migration20261204000000MailOutbox },
  { name: 'Migration20261204000100_recovery', class: Migration20261204000100Recovery },
];
