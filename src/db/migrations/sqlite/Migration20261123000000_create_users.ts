import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000000CreateUsers extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "create table `users` (`id` integer not null primary key autoincrement, `public_id` text not null, `name` text not null, `email` text not null, `password_hash` text not null, `role` text check (`role` in ('USER', 'ADMIN')) not null default 'USER', `created_at` datetime not null, `updated_at` datetime not null);",
    );
    this.addSql('create unique index `users_public_id_unique` on `users` (`public_id`);');
    this.addSql('create unique index `users_email_unique` on `users` (`email`);');
    this.addSql('create index `users_created_at_public_id_index` on `users` (`created_at`, `public_id`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `users`;');
  }
}
