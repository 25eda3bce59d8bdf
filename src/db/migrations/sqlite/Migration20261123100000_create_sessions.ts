import { Migration } from '@mikro-orm/migrations';

export class Migration20261123100000CreateSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table `sessions` (`id` integer not null primary key autoincrement, `public_id` text not null, `user_id` integer not null, `created_at` datetime not null, `last_used_at` datetime not null, `expires_at` datetime not null, `absolute_expires_at` datetime not null, `user_agent` text null, `ip` text not null, `revoked_at` datetime null, constraint `sessions_user_id_foreign` foreign key(`user_id`) references `users`(`id`) on delete cascade on update cascade);',
    );
    this.addSql('create unique index `sessions_public_id_unique` on `sessions` (`public_id`);');
    this.addSql('create index `sessions_user_id_index` on `sessions` (`user_id`);');
    this.addSql(
      'create table `refresh_tokens` (`id` integer not null primary key autoincrement, `session_id` integer not null, `token_hash` text not null, `created_at` datetime not null, `expires_at` datetime not null, `rotated_at` datetime null, constraint `refresh_tokens_session_id_foreign` foreign key(`session_id`) references `sessions`(`id`) on delete cascade on update cascade);',
    );
    this.addSql('create unique index `refresh_tokens_token_hash_unique` on `refresh_tokens` (`token_hash`);');
    this.addSql('create index `refresh_tokens_session_id_index` on `refresh_tokens` (`session_id`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `refresh_tokens`;');
    this.addSql('drop table if exists `sessions`;');
  }
}
