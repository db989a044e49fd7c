import * as v from 'valibot';
import { engineName, engineUrl, migrationsPath, pgIdentifier } from '../../src/config/engine-fields.js';

/** Options of a Payload CMS engine (validated when the config loads). */
export const payloadEngineSchema = v.strictObject({
  kind: v.literal('payload'),
  name: engineName,
  /** The project's payload.config.ts, relative to the config file. Loaded only to apply, revert or create. */
  config: v.pipe(v.string(), v.minLength(1, 'expected a non-empty path')),
  /**
   * The migration directory, relative to the config file. Payload is told this absolute path,
   * whatever its own `migrationDir` says (Payload resolves a relative one against the cwd).
   */
  migrations: migrationsPath,
  /** Name of the environment variable that holds PAYLOAD_SECRET (passed on to Payload by environment only). */
  secretEnv: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')), 'PAYLOAD_SECRET'),
  /**
   * Seconds Payload gets, from the moment it is asked to apply, revert or create, before it is
   * killed (up and down start it earlier, while planning: that loading time is not counted).
   */
  timeoutSeconds: v.optional(v.pipe(v.number(), v.gtValue(0, 'expected a number of seconds above 0')), 300),
  /**
   * The PostgreSQL schema of `payload_migrations`: the postgres adapter's `schemaName`
   * (status reads it without loading Payload, so it must be told).
   */
  schema: v.optional(pgIdentifier, 'public'),
  /** A different database for this engine (defaults to the config's database). */
  url: engineUrl,
});

export type PayloadEngineConfig = v.InferInput<typeof payloadEngineSchema>;
export type PayloadEngineOptions = v.InferOutput<typeof payloadEngineSchema>;

/** PAYLOAD_SECRET, or the variable `secretEnv` names: handed to Payload, masked in every output. */
export function payloadSecretEnvironment(options: Record<string, unknown>): string[] {
  return [typeof options.secretEnv === 'string' ? options.secretEnv : 'PAYLOAD_SECRET'];
}
