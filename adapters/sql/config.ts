import * as v from 'valibot';
import { engineName, engineUrl, migrationsPath } from '../../src/config/engine-fields.js';

/** Options of a plain SQL folder engine (validated when the config loads). */
export const sqlEngineSchema = v.strictObject({
  kind: v.literal('sql'),
  name: engineName,
  /** The folder of `<version>_<name>.sql` files, relative to the config file. */
  migrations: migrationsPath,
  /**
   * Where applied migrations are recorded: polymigrate's own table (with checksums), or the
   * Supabase CLI's `supabase_migrations.schema_migrations` so Supabase keeps its history.
   */
  history: v.optional(v.picklist(['polymigrate', 'supabase']), 'polymigrate'),
  /** A different database for this engine (defaults to the config's database). */
  url: engineUrl,
});

export type SqlEngineConfig = v.InferInput<typeof sqlEngineSchema>;
export type SqlEngineOptions = v.InferOutput<typeof sqlEngineSchema>;
