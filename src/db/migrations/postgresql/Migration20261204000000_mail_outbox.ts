import { Migration } from '@mikro-orm/migrations';

// The mail outbox, as in the SQLite twin. No trigger announces its changes: kept session answers do not
// depend on it.
export class Migration20261204000000MailOutbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table mail_outbox (
      id bigserial primary key,
      kind text not null,
      recipient text not null,
      subject text not null,
      text_body text not null,
      html_body text not null,
      created_at timestamptz not null,
      next_attempt_at timestamptz not null,
      attempts integer not null default 0,
      claimed_by text null,
      claimed_until timestamptz null,
      sent_at timestamptz null,
      failed_at timestamptz null,
      last_error text null
    )`);
    this.addSql('create index mail_outbox_due_index on mail_outbox (next_attempt_at) where sent_at is null and failed_at is null');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists mail_outbox');
  }
}
