/**
 * What polymigrate and its Payload child process (payload-runner.ts) say to each other.
 *
 * The child is started with the config path in its environment (with the secrets; never argv:
 * nothing there is secret, but the secrets beside it must not be mixed into a command line anyone
 * can read in `ps`). It loads Payload and that config at once, then waits for one RunnerCommand on
 * the IPC channel: polymigrate starts it once its plan holds Payload steps, while the
 * steps before them run, and sends the request when Payload's turn comes. The child answers
 * with JSON lines on its stdout, one event per line; everything Payload itself prints goes to
 * stderr. This file is type-only so the child loads nothing extra.
 */

/** The Payload config the child loads as soon as it starts (absolute path). */
export const CONFIG_PATH_ENV = 'POLYMIGRATE_PAYLOAD_CONFIG';
/** The database URL polymigrate uses for this engine; the child points Payload's pool at it. */
export const DATABASE_URL_ENV = 'POLYMIGRATE_PAYLOAD_DATABASE_URL';
/** --ddl-lock-timeout in ms: the child adds `-c lock_timeout=…` to the options of Payload's pool. */
export const LOCK_TIMEOUT_ENV = 'POLYMIGRATE_PAYLOAD_LOCK_TIMEOUT_MS';

export interface RunnerMigration {
  /** Payload's migration name: the file name before the first dot. */
  name: string;
  /** Absolute path of the .ts/.js file. */
  path: string;
}

export type RunnerRequest =
  | {
      action: 'up' | 'down';
      migrationDir: string;
      schema: string;
      migrations: RunnerMigration[];
      /**
       * up: after each migration has committed, when another one follows, say so (a `step` event with
       * `waiting`) and start the next only when a `continue` command comes: the shadow replay looks
       * at the database between migrations.
       */
      pauseBetween?: boolean;
    }
  | { action: 'create'; migrationDir: string; schema: string; migrationName: string; empty: boolean };

/**
 * What polymigrate sends over IPC: first the one `run` (until it comes, the child has not connected
 * to anything), then, with `pauseBetween`, a `continue` for each `step` event that says `waiting`.
 */
export type RunnerCommand = { type: 'run'; request: RunnerRequest } | { type: 'continue' };

export type RunnerEvent =
  /** A line Payload logged (pino level: 30 info, 40 warn, 50 error). */
  | { type: 'log'; level: number; msg: string }
  /** Payload is loaded and connected; loadMs leaves out the time spent waiting for the request. */
  | { type: 'ready'; loadMs: number }
  /**
   * One migration finished (committed) or failed (rolled back). `waiting`: the child waits for a
   * `continue` command before the next migration starts (RunnerRequest.pauseBetween).
   */
  | { type: 'step'; name: string; ok: boolean; durationMs: number; error?: RunnerError; note?: string; waiting?: boolean }
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
