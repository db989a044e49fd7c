import * as v from 'valibot';
import { engineName, engineUrl, migrationsPath, pgIdentifier } from '../../src/config/engine-fields.js';

/** Options of a Drizzle engine (validated when the config loads). */
export const drizzleEngineSchema = v.strictObject({
  kind: v.literal('drizzle'),
  name: engineName,
  /** drizzle-kit's `out` folder (the one holding meta/_journal.json), relative to the config file. */
  migrations: migrationsPath,
  /**
   * Drizzle's history table. Left unset, they come from `drizzleConfig`'s `migrations.schema` /
   * `migrations.table` when it sets them, else drizzle's defaults "drizzle" and "__drizzle_migrations".
   */
  historySchema: v.optional(pgIdentifier),
  historyTable: v.optional(pgIdentifier),
  /**
   * Run every pending migration in one transaction, as drizzle-kit migrate does. Off by default:
   * one transaction per migration, so a failure keeps the migrations applied before it.
   */
  atomic: v.optional(v.boolean(), false),
  /**
   * The project's drizzle.config.* (relative to the config file): where the history table lives
   * and what `polymigrate create` runs drizzle-kit with. Looked up beside/above the migrations
   * folder when not given.
   */
  drizzleConfig: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** A different database for this engine (defaults to the config's database). */
  url: engineUrl,
});

export type DrizzleEngineConfig = v.InferInput<typeof drizzleEngineSchema>;
export type DrizzleEngineOptions = v.InferOutput<typeof drizzleEngineSchema>;

export const DEFAULT_HISTORY_SCHEMA = 'drizzle';
export const DEFAULT_HISTORY_TABLE = '__drizzle_migrations';
