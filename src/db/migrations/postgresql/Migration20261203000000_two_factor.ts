import { Migration } from '@mikro-orm/migrations';

// Two-factor authentication, as in the SQLite twin. The new columns of users and sessions are announced
// by the existing triggers like every other change of those rows: a kept session answer is dropped when
// a session is raised to aal2 or a user turns TOTP on or off.
export class Migration20261203000000TwoFactor extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table users add column mfa_enabled boolean not null default false');
    this.addSql("alter table sessions add column aal text not null default 'aal1' check (aal in ('aal1', 'aal2'))");
    this.addSql("alter table sessions add column amr text not null default 'pwd'");
    this.addSql(`create table totp_factors (
      user_id integer primary key references users (id) on delete cascade on update cascade,
      secret text null,
      pending_secret text null,
      last_used_step integer null,
      updated_at timestamptz not null
    )`);
    this.addSql(`create table recovery_codes (
      id serial primary key,
      user_id integer not null references users (id) on delete cascade on update cascade,
      code_hash varchar(43) not null,
      created_at timestamptz not null,
      used_at timestamptz null
    )`);
    this.addSql('create unique index recovery_codes_user_id_code_hash_unique on recovery_codes (user_id, code_hash)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists recovery_codes');
    this.addSql('drop table if exists totp_factors');
    this.addSql('alter table sessions drop column amr');
    this.addSql('alter table sessions drop column aal');
    this.addSql('alter table users drop column mfa_enabled');
  }
}
