/**
 * What introspection leaves out. Always: PostgreSQL's own schemas (pg_catalog, information_schema,
 * pg_toast*, pg_temp*), the shadow's attribution schema, and every object that belongs to an
 * extension (the extension itself is compared, with its version). The caller adds polymigrate's
 * journal schema and the engines' history tables: those differ between the live database and the
 * shadow by design (rows, timestamps) and are not part of the application's schema.
 */
export interface SchemaExclusions {
  /** Schemas left out with everything in them (unquoted names). */
  readonly schemas: readonly string[];
  /**
   * Tables left out with everything they own (columns, indexes, constraints, triggers, policies,
   * serial sequences): `{ name }` in any schema, `{ schema, name }` in that schema only.
   */
  readonly tables: ReadonlyArray<{ readonly schema?: string; readonly name: string }>;
}

/** Where the shadow's event trigger keeps its log (src/schema/attribution.ts): never part of a schema. */
export const SHADOW_SCHEMA = 'polymigrate_shadow';

/**
 * The defaults for the built-in engines under their default names: polymigrate's journal schema
 * (which also holds the SQL engines' history tables), Supabase's `supabase_migrations`, Prisma's
 * `_prisma_migrations` and Payload's `payload_migrations` in any schema, drizzle's
 * `drizzle.__drizzle_migrations`. An engine configured with other names (drizzle's
 * `migrationsSchema`/`migrationsTable`, a journal schema of another name) passes its own.
 */
export function defaultExclusions(journalSchema = 'polymigrate'): SchemaExclusions {
  return {
    schemas: [journalSchema, 'supabase_migrations'],
    tables: [{ name: '_prisma_migrations' }, { name: 'payload_migrations' }, { schema: 'drizzle', name: '__drizzle_migrations' }],
  };
}
