import { Migration } from '@mikro-orm/migrations';

// Account recovery, as in the SQLite twin. users.email_verified is announced by the existing users trigger
// like every other change of the row: a kept session answer is dropped when an address is verified.
export class Migration20261204000100Recovery extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table users add column email_verified boolean not null default false');
    this.addSql(`create table recovery_tokens (
      id serial primary key,
      user_id integer not null references users (id) on delete cascade on update cascade,
      purpose text not null check (purpose in ('password_reset', 'email_verification', 'email_change')),
      token_hash varchar(43) not null,
      email varchar(254) not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz null,
      superseded_at timestamptz null
    )`);
    this.addSql('create unique index recovery_tokens_token_hash_unique on recovery_tokens (token_hash)');
    this.addSql('create index recovery_tokens_user_id_purpose_index on recovery_tokens (user_id, purpose)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists recovery_tokens');
    this.addSql('alter table users drop column email_verified');
  }
}
