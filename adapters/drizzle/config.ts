import { z } from 'zod';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'a PostgreSQL identifier');

/** Options of a Drizzle engine (validated when the config loads). */
export const drizzleEngineSchema = z.strictObject({
  kind: z.literal('drizzle'),
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').optional(),
  /** drizzle-kit's `out` folder (the one holding meta/_journal.json), relative to the config file. */
  migrations: z.string().min(1),
  /**
   * Drizzle's history table. Left unset, they come from `drizzleConfig`'s `migrations.schema` /
   * `migrations.table` when it sets them, else drizzle's defaults "drizzle" and "__drizzle_migrations".
   */
  historySchema: identifier.optional(),
  historyTable: identifier.optional(),
  /**
   * Run every pending migration in one transaction, as drizzle-kit migrate does. Off by default:
   * one transaction per migration, so a failure keeps the migrations applied before it.
   */
  atomic: z.boolean().default(false),
  /**
   * The project's drizzle.config.* (relative to the config file): where the history table lives
   * and what `polymigrate create` runs drizzle-kit with. Looked up beside/above the migrations
   * folder when not given.
   */
  drizzleConfig: z.string().min(1).optional(),
  /** A different database for this engine (defaults to the config's database). */
  url: z.string().optional(),
});

export type DrizzleEngineConfig = z.input<typeof drizzleEngineSchema>;
export type DrizzleEngineOptions = z.output<typeof drizzleEngineSchema>;

export const DEFAULT_HISTORY_SCHEMA = 'drizzle';
export const DEFAULT_HISTORY_TABLE = '__drizzle_migrations';
