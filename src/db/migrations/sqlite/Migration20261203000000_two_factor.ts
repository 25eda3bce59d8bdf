import { Migration } from '@mikro-orm/migrations';

// Two-factor authentication: how each session was authenticated (aal, amr), whether a user has TOTP on
// (read by the per-request statement with the user), the TOTP secrets (encrypted by the app) and the
// recovery codes (SHA-256 hashes only).
export class Migration20261203000000TwoFactor extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table `users` add column `mfa_enabled` integer not null default 0;');
    this.addSql("alter table `sessions` add column `aal` text not null default 'aal1';");
    this.addSql("alter table `sessions` add column `amr` text not null default 'pwd';");
    this.addSql(
      'create table `totp_factors` (`user_id` integer not null primary key, `secret` text null, `pending_secret` text null, `last_used_step` integer null, `updated_at` datetime not null, constraint `totp_factors_user_id_foreign` foreign key(`user_id`) references `users`(`id`) on delete cascade on update cascade);',
    );
    this.addSql(
      'create table `recovery_codes` (`id` integer not null primary key autoincrement, `user_id` integer not null, `code_hash` text not null, `created_at` datetime not null, `used_at` datetime null, constraint `recovery_codes_user_id_foreign` foreign key(`user_id`) references `users`(`id`) on delete cascade on update cascade);',
    );
    this.addSql('create unique index `recovery_codes_user_id_code_hash_unique` on `recovery_codes` (`user_id`, `code_hash`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `recovery_codes`;');
    this.addSql('drop table if exists `totp_factors`;');
    this.addSql('alter table `sessions` drop column `amr`;');
    this.addSql('alter table `sessions` drop column `aal`;');
    this.addSql('alter table `users` drop column `mfa_enabled`;');
  }
}
