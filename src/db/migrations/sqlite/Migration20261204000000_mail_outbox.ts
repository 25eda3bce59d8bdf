import { Migration } from '@mikro-orm/migrations';

// The mail outbox: a message is written here in the same transaction as the token it carries, and sent by
// the background sender (mail/), which claims a row with a lease (claimed_by, claimed_until) so that one of
// several instances sends it, and another takes it over if that one dies. last_error never holds the
// address or the message.
export class Migration20261204000000MailOutbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table `mail_outbox` (`id` integer not null primary key autoincrement, `kind` text not null, `recipient` text not null, `subject` text not null, `text_body` text not null, `html_body` text not null, `created_at` datetime not null, `next_attempt_at` datetime not null, `attempts` integer not null default 0, `claimed_by` text null, `claimed_until` datetime null, `sent_at` datetime null, `failed_at` datetime null, `last_error` text null);',
    );
    // The sender's one question: which unsent, not given-up messages are due.
    this.addSql('create index `mail_outbox_due_index` on `mail_outbox` (`next_attempt_at`) where `sent_at` is null and `failed_at` is null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `mail_outbox`;');
  }
}
