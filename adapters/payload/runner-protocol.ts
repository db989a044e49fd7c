/**
 * What polymigrate and its Payload child process (payload-runner.ts) say to each other.
 *
 * The request travels in one environment variable (never argv: nothing in it is secret, but the
 * secrets beside it in the environment must not be mixed into a command line anyone can read in
 * `ps`). The child answers with JSON lines on its stdout, one event per line; everything Payload
 * itself prints goes to stderr. This file is type-only so the child loads nothing extra.
 */

export const REQUEST_ENV = 'POLYMIGRATE_PAYLOAD_REQUEST';
/** The database URL polymigrate uses for this engine; the child points Payload's pool at it. */
export const DATABASE_URL_ENV = 'POLYMIGRATE_PAYLOAD_DATABASE_URL';

export interface RunnerMigration {
  /** Payload's migration name: the file name before the first dot. */
  name: string;
  /** Absolute path of the .ts/.js file. */
  path: string;
}

export type RunnerRequest =
  | { action: 'up' | 'down'; configPath: string; migrationDir: string; schema: string; migrations: RunnerMigration[] }
  | { action: 'create'; configPath: string; migrationDir: string; schema: string; migrationName: string; empty: boolean };

export type RunnerEvent =
  /** A line Payload logged (pino level: 30 info, 40 warn, 50 error). */
  | { type: 'log'; level: number; msg: string }
  /** Payload is loaded and connected. */
  | { type: 'ready'; loadMs: number }
  /** One migration finished (committed) or failed (rolled back). */
  | { type: 'step'; name: string; ok: boolean; durationMs: number; error?: RunnerError; note?: string }
  /** create: the files Payload wrote. */
  | { type: 'created'; files: string[] }
  /** create: Payload's generator found no schema change and wrote nothing. */
  | { type: 'empty' }
  /** Something outside any one migration went wrong (loading, connecting, a refused state). */
  | { type: 'fatal'; error: RunnerError }
  /** The last line: the child exits right after. */
  | { type: 'done'; ok: boolean };

export interface RunnerError {
  message: string;
  /** PostgreSQL SQLSTATE when the cause was a database error. */
  code?: string;
  detail?: string;
  hint?: string;
  /** 'dev-push' when payload_migrations holds Payload's dev-mode marker. */
  reason?: 'dev-push';
}
