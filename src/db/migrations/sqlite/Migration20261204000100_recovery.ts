import { Migration } from '@mikro-orm/migrations';

// Account recovery: whether a user's email address is proven (users.email_verified, read with the user by the
// per-request statement for REQUIRE_EMAIL_VERIFICATION), and the single-use links sent by email (SHA-256
// hashes only). `email` is the address the link was sent to: a reset or verification link works only while it
// is still the user's address; an email-change link carries the new address.
export class Migration20261204000100Recovery extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table `users` add column `email_verified` integer not null default 0;');
    this.addSql(
      "create table `recovery_tokens` (`id` integer not null primary key autoincrement, `user_id` integer not null, `purpose` text check (`purpose` in ('password_reset', 'email_verification', 'email_change')) not null, `token_hash` text not null, `email` text not null, `created_at` datetime not null, `expires_at` datetime not null, `used_at` datetime null, `superseded_at` datetime null, constraint `recovery_tokens_user_id_foreign` foreign key(`user_id`) references `users`(`id`) on delete cascade on update cascade);",
    );
    this.addSql('create unique index `recovery_tokens_token_hash_unique` on `recovery_tokens` (`token_hash`);');
    this.addSql('create index `recovery_tokens_user_id_purpose_index` on `recovery_tokens` (`user_id`, `purpose`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `recovery_tokens`;');
    this.addSql('alter table `users` drop column `email_verified`;');
  }
}
