import { MigrateUpArgs, MigrateDownArgs, sql } from '@payloadcms/db-postgres'

export async function up({ db, payload, req }: MigrateUpArgs): Promise<void> {
  await db.execute(sql`
   CREATE TYPE "public"."enum_herbs_nature" AS ENUM('cold', 'cool', 'neutral', 'warm', 'hot');
  ALTER TABLE "herbs" ADD COLUMN "nature" "enum_herbs_nature";
  ALTER TABLE "practitioners" ADD COLUMN "email" varchar;`)
}

export async function down({ db, payload, req }: MigrateDownArgs): Promise<void> {
  await db.execute(sql`
   ALTER TABLE "herbs" DROP COLUMN "nature";
  ALTER TABLE "practitioners" DROP COLUMN "email";
  DROP TYPE "public"."enum_herbs_nature";`)
}
