import { z } from 'zod';

/** Options of a Payload CMS engine (validated when the config loads). */
export const payloadEngineSchema = z.strictObject({
  kind: z.literal('payload'),
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').optional(),
  /** The project's payload.config.ts, relative to the config file. Loaded only to apply, revert or create. */
  config: z.string().min(1),
  /**
   * The migration directory, relative to the config file. Payload is told this absolute path,
   * whatever its own `migrationDir` says (Payload resolves a relative one against the cwd).
   */
  migrations: z.string().min(1),
  /** Name of the environment variable that holds PAYLOAD_SECRET (passed on to Payload by environment only). */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').default('PAYLOAD_SECRET'),
  /** Seconds Payload gets to load and run one apply, revert or create before it is killed. */
  timeoutSeconds: z.number().positive().default(300),
  /**
   * The PostgreSQL schema of `payload_migrations`: the postgres adapter's `schemaName`
   * (status reads it without loading Payload, so it must be told).
   */
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'a PostgreSQL identifier').default('public'),
  /** A different database for this engine (defaults to the config's database). */
  url: z.string().optional(),
});

export type PayloadEngineConfig = z.input<typeof payloadEngineSchema>;
export type PayloadEngineOptions = z.output<typeof payloadEngineSchema>;
