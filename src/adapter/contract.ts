/**
 * The adapter contract: how polymigrate talks to one migration engine.
 *
 * How to implement an adapter
 * ---------------------------
 * An adapter is a plain object. It describes one engine's migrations on disk and its history
 * table in the database, and knows how to apply (and maybe revert) one migration exactly the way
 * that engine would, so that the engine's own CLI keeps agreeing afterwards. The core does
 * everything else: ordering engines, planning, refusing unsafe runs, the advisory lock, the
 * journal, transactions, output and exit codes.
 *
 * 1. `discover()` lists the migrations on disk **in the order the engine applies them**. It never
 *    touches the database. Read errors (a directory that does not exist, a file that cannot be
 *    parsed) are thrown as `ConfigError`/`MigrationFileError` that name the path.
 * 2. `readHistory(db)` reads the engine's **own** history table, with as few queries as possible
 *    (one, ideally), and returns it normalised. A table that does not exist yet means "nothing
 *    applied", not an error. It must never create anything: `status` and `--dry-run` call it.
 * 3. `reconcile` (optional) turns files + history into a state per migration. The default in
 *    `src/status/reconcile.ts` matches by id and compares checksums; an engine with another
 *    pending rule (Drizzle's "newer than the newest applied") supplies its own.
 * 4. An engine whose migrations are SQL scripts provides `sql` (SqlStepEngine): for each step,
 *    the script and the history writes as SQL text. The core runs them (src/run/step-pipeline.ts):
 *    in one transaction with the history write, outside a transaction statement by statement, or,
 *    for a script with its own BEGIN/COMMIT, the way the engine runs such scripts.
 * 5. Any other engine provides `apply(migration, ctx)` / `revert(migration, ctx)`, which run one
 *    migration and record (or remove) it in the engine's history. When the engine is
 *    `transactional` and the migration does not opt out (`transactional: false`), the core has
 *    already opened a transaction on `ctx.db` and commits it afterwards, so the script and its
 *    history row commit together. The core only reverts when `capabilities.rollback` is not
 *    `'none'` and `migration.hasDown` is true (or rollback is `'native'`).
 * 6. `create(name)` writes a new migration in the engine's own file conventions.
 * 7. `rollbackHint(migration)` explains, for a migration that cannot be reverted, how a person
 *    does it by hand with that engine's tools. It is printed by `down` when it stops there.
 *
 * Errors thrown from `apply`/`revert` may be PostgreSQL errors; the core adds engine, migration and
 * direction. Scripts run through `sql` get the file, line, column and statement number of the
 * failing statement in their errors; `runSqlScript` (src/db/run-sql-script.ts) does that for apply().
 *
 * Capabilities are declared, never discovered by trial: the planner reads them before anything
 * runs so `--dry-run` can say exactly what `down` will and will not do.
 */

/** Anything that can run a query: a `pg.Client`, a pooled client, or a test double. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** How an engine can undo a migration. */
export type RollbackSupport =
  /** The engine's migrations carry their own down (Payload's `down()`). */
  | 'native'
  /** A migration is revertible when a down file exists beside it. */
  | 'down-file'
  /** The engine has no rollback at all. */
  | 'none';

export interface AdapterCapabilities {
  rollback: RollbackSupport;
  /** Can a migration run inside a transaction opened by the core? */
  transactional: boolean;
  /**
   * 'single': the core calls apply/revert once per migration.
   * 'batch': the core hands every planned migration of this engine to `applyBatch`/`revertBatch`
   * at once (engines whose runtime is expensive to start, like Payload's).
   */
  granularity: 'single' | 'batch';
  /**
   * Extra advisory-lock keys held (besides polymigrate's own) while this engine's steps run, so
   * that the engine's own CLI started elsewhere waits for us (Prisma: 72707369).
   */
  lockKeys?: readonly bigint[];
}

/** A migration as found on disk. */
export interface DiscoveredMigration {
  /** Engine-unique id: what the engine's history records (folder name, file stem, tag…). */
  id: string;
  /** Human name, when the id carries a prefix (version/timestamp). */
  name?: string;
  /** Absolute path of the file (or folder) that holds the migration. */
  path: string;
  /** Checksum in the engine's own format, when the engine records one. */
  checksum?: string;
  /** Whether this migration can be reverted (a down file, or a native down). */
  hasDown: boolean;
  /** False when the migration must run outside a transaction (e.g. CREATE INDEX CONCURRENTLY). */
  transactional: boolean;
  /**
   * Set when the file cannot be applied as written (e.g. CREATE INDEX CONCURRENTLY in a
   * transactional file): the planner refuses to run it, and this text says why and what to do.
   */
  invalid?: string;
  /** Adapter-private data carried from discover() to apply()/revert(). */
  meta?: unknown;
}

export type HistoryState = 'applied' | 'failed' | 'rolled-back';

/** One row of an engine's own history table, normalised. */
export interface HistoryEntry {
  id: string;
  state: HistoryState;
  appliedAt?: Date;
  /** The checksum recorded when it was applied, in the same format as `DiscoveredMigration.checksum`. */
  checksum?: string;
  /** Engine batch number, where the engine has batches (Payload). */
  batch?: number;
  /** Engine-specific detail worth showing (Prisma's logs of a failed migration). */
  detail?: string;
  meta?: unknown;
}

export type MigrationState =
  | 'applied'
  | 'pending'
  /** Started and never finished (Prisma's P3009 state). */
  | 'failed'
  /** The file's checksum differs from the recorded one. */
  | 'modified'
  /** Recorded as applied, no file on disk. */
  | 'missing'
  /** Would never be applied by the engine (Drizzle: older than the newest applied entry). */
  | 'unreachable'
  /** Recorded as rolled back, not applied since. */
  | 'rolled-back';

/** What the status model says about one migration. */
export interface MigrationStatus {
  id: string;
  state: MigrationState;
  /** Present for everything found on disk. */
  migration?: DiscoveredMigration;
  history?: HistoryEntry;
  /** Why it is in a problem state, in words for the user. */
  reason?: string;
  /** What the user should do about it, when the engine knows better than the core's default. */
  fix?: string;
}

/** Engine-wide problems that are not about one migration (Payload's dev-push marker…). */
export interface EngineProblem {
  message: string;
  /** What the user should do. */
  fix: string;
  /**
   * 'warning': worth saying, changes nothing (status exit code, up) — e.g. a drizzle .sql file its
   * journal does not list. Default: a problem (status exit 4, up refuses).
   */
  severity?: 'warning';
}

export interface StepLogger {
  /** Lines the engine printed while running this step (passed through to the user). */
  info(message: string): void;
  warn(message: string): void;
}

/** What apply/revert receive. */
export interface StepContext {
  /** The connection to use. Inside a transaction when the core opened one. */
  db: Queryable;
  /** True when the core opened a transaction around this step. */
  inTransaction: boolean;
  /** The database URL for engines that need their own connection (Payload's child process). */
  databaseUrl: string;
  log: StepLogger;
  /** Aborted when the run is cancelled (SIGINT) or times out. */
  signal?: AbortSignal;
}

/**
 * SQL engines (the SQL folders, Prisma, Drizzle) do not run their steps themselves: they say what
 * SQL a step is and what its history writes are, and the core's step protocol
 * (src/run/step-pipeline.ts) runs them — in a transaction with the history write, or, for a script
 * that takes control of transactions, the way the engine itself runs such a script. That keeps the
 * protocol's invariants (what is recorded applied, the first statement of a transaction, session
 * state between migrations) in one place.
 */
export interface SqlStepEngine {
  /**
   * How the engine runs a script that takes control of transactions itself (BEGIN/COMMIT,
   * SAVEPOINT, SET TRANSACTION, CALL…), which never runs inside polymigrate's transaction:
   * - 'row-first': Prisma's protocol — `history.started` committed first, the whole script as one
   *   query, then `history.done` (or `history.failed` when part of it committed, `history.forget`
   *   when nothing did);
   * - 'atomic-or-row-first': a script that is one transaction ending with its last statement gets
   *   the history write inside that transaction, before its final COMMIT; any other script goes
   *   row-first (engines with a failed state);
   * - 'atomic-only': as above, and a script that could commit part of itself is refused before
   *   anything runs (engines whose history has no failed state: Drizzle, the Supabase CLI's).
   * Down scripts are always treated as 'atomic-only'.
   */
  ownTransactions: 'row-first' | 'atomic-or-row-first' | 'atomic-only';
  /**
   * Session-level statements the engine's own connection runs before its migrations (Prisma with
   * a schema: `SET search_path`). Sent before each of its steps, after the reset that returns the
   * session to the run's starting state.
   */
  session?: readonly string[];
  /** The script of one step, read from the discovered migration (no I/O). */
  script(migration: DiscoveredMigration, direction: Direction): SqlStepScript;
  /** The history writes of one step, as SQL text (values inlined as literals). */
  history(migration: DiscoveredMigration, direction: Direction): Promise<StepHistory>;
}

export interface SqlStepScript {
  source: SqlSource;
  /**
   * Run outside any transaction, one statement at a time, each committing on its own (CREATE
   * INDEX CONCURRENTLY, a `-- migrate:up transaction:false` section).
   */
  oneByOne?: boolean;
  /** Words for the user when the script fails with this SQLSTATE (Prisma: how to baseline). */
  hintFor?(code: string | undefined): string | undefined;
  /** Appended to the failure message of a step that committed part of itself (what to do next). */
  partialAdvice?: string;
}

/** What the engine's history records for a step, as SQL statements the core sends. */
export interface StepHistory {
  /** The step ran: in the step's transaction when it has one, else right after it. */
  done: string;
  /**
   * Committed before a script that runs outside polymigrate's transaction, so that a process
   * that dies meanwhile leaves the engine's failed state (Prisma's unfinished row). Absent: the
   * engine's history has no failed state.
   */
  started?: string;
  /** Part of the step committed, then it failed: the engine's record of a partial failure. */
  failed?(report: StepFailureReport): string;
  /** Nothing of the step committed: undo `started`, so the migration is simply pending again. */
  forget?: string;
}

export interface StepFailureReport {
  /** The error as the user sees it (with file:line:column and the statement number). */
  message: string;
  /** PostgreSQL's SQLSTATE. */
  code?: string;
  detail?: string;
  hint?: string;
}

/** Per-migration outcome of a batch apply/revert. */
export interface BatchStepResult {
  id: string;
  ok: boolean;
  durationMs: number;
  error?: Error;
}

export interface CreatedMigration {
  id: string;
  /** Files written, absolute paths. */
  files: string[];
  /** Extra lines for the user (what to edit next). */
  notes?: string[];
}

export interface CreateOptions {
  /** Write an empty migration even when the engine's generator finds no change. */
  empty?: boolean;
}

export interface ResolveContext {
  db: Queryable;
  databaseUrl: string;
}

export interface MigrationAdapter {
  /** Config key, unique within a config ("auth", "cms", "prisma"). */
  readonly name: string;
  /** Engine family ("sql", "prisma", "drizzle", "payload", or a custom word). */
  readonly kind: string;
  readonly capabilities: AdapterCapabilities;
  /** Where the migrations live, for messages. */
  readonly location: string;

  discover(): Promise<DiscoveredMigration[]>;
  readHistory(db: Queryable): Promise<HistoryEntry[]>;
  reconcile?(discovered: DiscoveredMigration[], history: HistoryEntry[]): MigrationStatus[];
  /**
   * Create the engine's history table (and schema) if the engine does so before applying.
   * Called once per run, under the lock, never for --dry-run or status.
   */
  prepare?(db: Queryable): Promise<void>;
  /** Engine-wide problems found in the history (checked by status and before up). */
  problems?(history: HistoryEntry[], discovered: DiscoveredMigration[]): EngineProblem[];

  /**
   * SQL engines: the steps are SQL the core runs (see SqlStepEngine). With granularity 'single',
   * an adapter provides either this or apply/revert; a 'batch' adapter may provide it too, so the
   * core can check its scripts before anything runs.
   */
  sql?: SqlStepEngine;
  /** granularity 'single', when the adapter runs its own steps (custom engines) */
  apply?(migration: DiscoveredMigration, ctx: StepContext): Promise<void>;
  revert?(migration: DiscoveredMigration, ctx: StepContext): Promise<void>;
  /** granularity 'batch': must stop at the first failure and report every migration it touched. */
  applyBatch?(migrations: DiscoveredMigration[], ctx: StepContext): Promise<BatchStepResult[]>;
  revertBatch?(migrations: DiscoveredMigration[], ctx: StepContext): Promise<BatchStepResult[]>;

  create(name: string, options?: CreateOptions): Promise<CreatedMigration>;
  /** Repair a history entry the way the engine's own `resolve` would (Prisma). */
  resolve?(id: string, mark: 'applied' | 'rolled-back', ctx: ResolveContext): Promise<string>;
  /** The manual recipe for undoing a migration that has no down. */
  rollbackHint(migration: DiscoveredMigration | undefined, id: string): string;
  /**
   * Optional: start slow, side-effect-free start-up work early (Payload's child process loading
   * Payload and its config), so it overlaps the journal set-up and the steps of the engines before
   * this one. The core calls it for `up` and `down` (never `--dry-run` or `status`), under the lock,
   * once the plan holds steps of this engine — never when it has none. It must not connect to a
   * database, change anything or throw: a failure is reported by the next applyBatch/revertBatch,
   * as if there had been no warm-up. The core calls `close()` when the command ends.
   */
  warmUp?(ctx: WarmUpContext): void;
  /** Release anything the adapter holds (child processes, pools). The adapter stays usable. */
  close?(): Promise<void>;
}

export interface WarmUpContext {
  /** The database URL the engine's steps will get as `StepContext.databaseUrl`. */
  databaseUrl: string;
}

export type Direction = 'up' | 'down';

/** Where a script came from, to turn PostgreSQL's error position into file:line:column. */
export interface SqlSource {
  file: string;
  /** The exact text sent to PostgreSQL. */
  text: string;
  /** 0-based line in `file` where `text` starts. */
  lineOffset: number;
}
