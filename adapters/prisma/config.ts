import * as v from 'valibot';
import { engineName, engineUrl, migrationsPath, pgIdentifier } from '../../src/config/engine-fields.js';

/** Options of a Prisma Migrate engine (validated when the config loads). */
export const prismaEngineSchema = v.strictObject({
  kind: v.literal('prisma'),
  name: engineName,
  /** Prisma's migrations folder (usually `prisma/migrations`), relative to the config file. */
  migrations: migrationsPath,
  /**
   * The PostgreSQL schema Prisma's URL names with `?schema=`. Unset (the usual case): like Prisma,
   * `_prisma_migrations` is unqualified and the scripts run in the connection's default schema.
   * Set: the table lives in that schema and scripts run with it as `search_path`, as Prisma does.
   */
  schema: v.optional(pgIdentifier),
  /** A different database for this engine (defaults to the config's database). */
  url: engineUrl,
});

export type PrismaEngineConfig = v.InferInput<typeof prismaEngineSchema>;
export type PrismaEngineOptions = v.InferOutput<typeof prismaEngineSchema>;
