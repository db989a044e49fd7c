import { z } from 'zod';

/** Options of a plain SQL folder engine (validated when the config loads). */
export const sqlEngineSchema = z.strictObject({
  kind: z.literal('sql'),
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').optional(),
  /** The folder of `<version>_<name>.sql` files, relative to the config file. */
  migrations: z.string().min(1),
  /**
   * Where applied migrations are recorded: polymigrate's own table (with checksums), or the
   * Supabase CLI's `supabase_migrations.schema_migrations` so Supabase keeps its history.
   */
  history: z.enum(['polymigrate', 'supabase']).default('polymigrate'),
  /** A different database for this engine (defaults to the config's database). */
  url: z.string().optional(),
});

export type SqlEngineConfig = z.input<typeof sqlEngineSchema>;
export type SqlEngineOptions = z.output<typeof sqlEngineSchema>;
