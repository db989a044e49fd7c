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
  /**
   * The project's Prisma config file (prisma.config.ts; Prisma 7 keeps the datasource, the schema
   * path and the migrations path there), relative to the config file. Looked up beside/above the
   * migrations folder when not given. Used by `create` and by the commands polymigrate prints.
   */
  prismaConfig: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** A different database for this engine (defaults to the config's database). */
  url: engineUrl,
});

export type PrismaEngineConfig = v.InferInput<typeof prismaEngineSchema>;
export type PrismaEngineOptions = v.InferOutput<typeof prismaEngineSchema>;
