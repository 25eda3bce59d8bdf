// PostgreSQL's committed migrations, listed explicitly (see ../sqlite/index.ts). Add each new one here, in order.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261201000000Initial } from './Migration20261201000000_initial';
import { Migration20261203000000TwoFactor } from './Migration20261203000000_two_factor';
import { Migration20261204000000MailOutbox } from './Migration20261204000000_mail_outbox';
import { Migration20261204000100Recovery } from './Migration20261204000100_recovery';

export const postgresqlMigrations: MigrationObject[] = [
  { name: 'Migration20261201000000_initial', class: Migration20261201000000Initial },
  { name: 'Migration20261203000000_two_factor', class: Migration20261203000000TwoFactor },
  { name: 'Migration20261204000000_mail_outbox', class: Migration20261204000000MailOutbox },
  { name: 'Migration20261204000100_recovery', class: Migration20261204000100Recovery },
];
