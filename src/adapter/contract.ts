/**
 * The adapter contract: how polymigrate talks to one migration engine. Logic-free; read it top to
 * bottom to write an engine.
 *
 * How to implement an engine
 * --------------------------
 * An adapter is a plain object of three small parts plus a few facts. It describes one engine's
 * migrations on disk and its history table in the database, and says how a migration runs, so
 * that the engine's own CLI keeps agreeing afterwards. The core does everything else: ordering
 * engines, planning, refusing unsafe runs, the advisory locks, the journal, transactions, session
 * hygiene, interrupts, output and exit codes.
 *
 * 1. `source` (MigrationSource) — where migrations come from. `discover()` lists them **in the
 *    order the engine applies them**, without touching the database; unreadable input is thrown
 *    as `ConfigError`/`MigrationFileError` naming the path. `create(name)` writes a new one in the
 *    engine's own conventions.
 * 2. `history` (HistoryStore) — the engine's **own** history table. `read(db)` returns it normalised,
 *    in one query ideally; a table that does not exist yet means "nothing applied", and it must
 *    never create anything (`status` and `--dry-run` call it). Optional: `reconcile` when the
 *    engine's pending rule is not "match by id, compare checksums" (Drizzle's is "newer than the
 *    newest applied"); `problems` for engine-wide trouble; `prepare` to create the table before a
 *    run; `resolve` to repair a failed entry the way the engine's own CLI would; `recordApplied`
 *    to mark migrations applied without running them, as the engine would (`baseline`).
 * 3. `runner` (StepRunner) — how a step runs; one of three, chosen by `granularity`:
 *    - `'sql'`: the migrations are SQL scripts. Say what a step's script is (`script`) and what
 *      the history records for it (`history`, SQL text); the core runs them through its step
 *      protocol (src/run/step-pipeline.ts): one transaction with the history row, or, for a
 *      script with its own BEGIN/COMMIT, the engine's own way (`ownTransactions`).
 *    - `'single'`: the adapter runs each step itself (`apply`, `revert`). With `transactional`,
 *      the core has opened a transaction on `ctx.db` and commits it afterwards.
 *    - `'batch'`: every planned step of the engine at once (`applyBatch`, `revertBatch`), for
 *      runtimes expensive to start (Payload's). It must stop at the first failure and report
 *      each migration it touched.
 * 4. `capabilities` — declared, never discovered by trial, so `--dry-run` can say exactly what
 *    `down` will do: `rollback` ('native', 'down-file', 'none') and `lockKeys` (the engine CLI's
 *    own advisory lock, held while its steps run). `rollbackHint` says how a person undoes a
 *    migration that cannot be reverted.
 * 5. Run the shared suite: `adapterContract` from `polymigrate/testing`, with a deliberately
 *    irregular fixture (gaps in ids, a migration without a down, files whose order on disk is not
 *    their apply order). It applies, reverts, fails and resolves against real PostgreSQL.
 *
 * The type parameter `Meta` is the adapter's own per-migration data (`DiscoveredMigration.meta`):
 * what `discover` learned and the runner needs, typed end to end.
 *
 * A custom engine is such an object in the config's `engines`; it is checked when the config
 * loads (src/adapter/verify-adapter.ts) and a missing part is reported with its key.
 */

/** Anything that can run a query: a `pg.Client`, a pooled client, or a test double. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
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
  /**
   * Extra advisory-lock keys held (besides polymigrate's own) while this engine's steps run, so
   * that the engine's own CLI started elsewhere waits for us (Prisma: 72707369).
   */
  lockKeys?: readonly bigint[];
}

/** A migration as found on disk. */
export interface DiscoveredMigration<Meta = unknown> {
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
  /** The adapter's own data, carried from discover() to its runner. */
  meta?: Meta;
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
export interface MigrationStatus<Meta = unknown> {
  id: string;
  state: MigrationState;
  /** Present for everything found on disk. */
  migration?: DiscoveredMigration<Meta>;
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
  /**
   * Set by the core when the problem is one migration's file (it cannot be applied as written): a
   * plan that leaves that migration out (the shadow replay's `only`) does not refuse for it.
   */
  migrationId?: string;
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
  /**
   * --ddl-lock-timeout, in ms: the lock_timeout for every session the engine opens itself (Payload's
   * child process). The core sets it on `db` itself; SQL runners get it as a session statement.
   */
  lockTimeoutMs?: number;
  /**
   * Set for batch runners that declare `pausesBetweenSteps`, when the caller must see the database
   * between migrations (the shadow replay's attribution): await it with a migration's id after
   * that migration has committed and before the next one starts. The core calls it itself for
   * every committed migration the runner did not call it for (the last one, typically).
   */
  afterStep?(id: string): Promise<void>;
  /**
   * Batch runners may call it as each migration of the batch ends (committed or failed): the core
   * then knows which one runs (a lock wait is reported on it). Optional on both sides.
   */
  stepEnded?(id: string): void;
}

/** Where migrations come from (part 1 of an adapter). */
export interface MigrationSource<Meta = unknown> {
  /** The migrations on disk, in the order the engine applies them. Never touches the database. */
  discover(): Promise<Array<DiscoveredMigration<Meta>>>;
  /** A new migration in the engine's own file conventions. */
  create(name: string, options?: CreateOptions): Promise<CreatedMigration>;
}

/** A history table: `{ schema: 'drizzle', name: '__drizzle_migrations' }`. */
export interface HistoryTableRef {
  schema?: string;
  name: string;
}

/** The engine's own history table (part 2 of an adapter). */
export interface HistoryStore<Meta = unknown> {
  /** The history rows, normalised; a missing table is an empty history. Creates nothing. */
  read(db: Queryable): Promise<HistoryEntry[]>;
  /**
   * The tables the history lives in, so that schema comparisons (`verify`, `baseline`) leave them
   * out: their rows differ between a database and its shadow by design. A table without `schema`
   * is left out in any schema (an unqualified name resolved through search_path).
   */
  tables?(): Promise<HistoryTableRef[]>;
  /** Files + history → a state per migration (default: match by id, compare checksums). */
  reconcile?(discovered: Array<DiscoveredMigration<Meta>>, history: HistoryEntry[]): Array<MigrationStatus<Meta>>;
  /** Engine-wide problems (and warnings) found in the history and the files. */
  problems?(history: HistoryEntry[], discovered: Array<DiscoveredMigration<Meta>>): EngineProblem[];
  /**
   * Create the history table (and schema) if the engine does so before applying. Called once per
   * run, under the lock, never for --dry-run or status.
   */
  prepare?(db: Queryable): Promise<void>;
  /** Repair an entry the way the engine's own `resolve` would; the message says what was done. */
  resolve?(id: string, mark: 'applied' | 'rolled-back', ctx: ResolveContext): Promise<string>;
  /**
   * Record `migrations` as applied without running them (`polymigrate baseline`: the database
   * already holds what they make, e.g. after `drizzle-kit push` or `prisma db push`). Write exactly
   * the rows the engine itself writes when it applies them, or when its own baselining command
   * marks them applied (Prisma's `migrate resolve --applied`), in the order given, so that the
   * engine's own CLI sees them applied afterwards; create the history table first if the engine
   * would. The core has checked the schema, holds the locks and has opened ONE transaction on
   * `ctx.db` around the call: do not commit, and throw (the core rolls back) rather than record
   * part of them. The migrations are never already applied (the core leaves those out). Without
   * it, `baseline` refuses for this engine.
   */
  recordApplied?(migrations: Array<DiscoveredMigration<Meta>>, ctx: ResolveContext): Promise<void>;
}

/**
 * How steps run (part 3 of an adapter), by granularity. The compiler holds each kind to the
 * functions it needs; the core picks its runner by `granularity`.
 */
export type StepRunner<Meta = unknown> = SqlRunner<Meta> | SingleRunner<Meta> | BatchRunner<Meta>;

/**
 * SQL engines (the SQL folders, Prisma, Drizzle) do not run their steps themselves: they say what
 * SQL a step is and what its history writes are, and the core's step protocol
 * (src/run/step-pipeline.ts) runs them — in a transaction with the history write, or, for a script
 * that takes control of transactions, the way the engine itself runs such a script. That keeps the
 * protocol's invariants (what is recorded applied, the first statement of a transaction, session
 * state between migrations) in one place.
 */
export interface SqlRunner<Meta = unknown> {
  granularity: 'sql';
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
  script(migration: DiscoveredMigration<Meta>, direction: Direction): SqlStepScript;
  /** The history writes of one step, as SQL text (values inlined as literals). */
  history(migration: DiscoveredMigration<Meta>, direction: Direction): Promise<StepHistory>;
}

/** An engine that runs each step itself (custom engines). */
export interface SingleRunner<Meta = unknown> {
  granularity: 'single';
  /** The core opens a transaction on `ctx.db` around each step (unless the migration opts out). */
  transactional: boolean;
  apply(migration: DiscoveredMigration<Meta>, ctx: StepContext): Promise<void>;
  /** Required unless `capabilities.rollback` is 'none'. */
  revert?(migration: DiscoveredMigration<Meta>, ctx: StepContext): Promise<void>;
}

/** An engine that runs all its planned steps at once (Payload; Drizzle with atomic: true). */
export interface BatchRunner<Meta = unknown> {
  granularity: 'batch';
  /**
   * True when `applyBatch` commits each migration on its own and honours `ctx.afterStep` between
   * them (Payload). Otherwise a caller that must see the database after each migration gets them
   * one per call.
   */
  pausesBetweenSteps?: boolean;
  /**
   * The application_name of the sessions the engine opens itself (Payload's child): while a batch
   * runs, the core reports their lock waits ("waiting on a lock") as it does for its own sessions.
   */
  ownSessions?: { applicationName: string };
  /** Must stop at the first failure and report every migration it touched. */
  applyBatch(migrations: Array<DiscoveredMigration<Meta>>, ctx: StepContext): Promise<BatchStepResult[]>;
  /** Required unless `capabilities.rollback` is 'none'. */
  revertBatch?(migrations: Array<DiscoveredMigration<Meta>>, ctx: StepContext): Promise<BatchStepResult[]>;
  /** When the steps are SQL scripts: the core checks each one before anything runs. */
  script?(migration: DiscoveredMigration<Meta>, direction: Direction): SqlStepScript;
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

export interface MigrationAdapter<Meta = unknown> {
  /** Config key, unique within a config ("auth", "cms", "prisma"). */
  readonly name: string;
  /** Engine family ("sql", "prisma", "drizzle", "payload", or a custom word). */
  readonly kind: string;
  /** Where the migrations live, for messages. */
  readonly location: string;
  readonly capabilities: AdapterCapabilities;

  readonly source: MigrationSource<Meta>;
  readonly history: HistoryStore<Meta>;
  readonly runner: StepRunner<Meta>;

  /** The manual recipe for undoing a migration that has no down. */
  rollbackHint(migration: DiscoveredMigration<Meta> | undefined, id: string): string;
  /**
   * Optional: start slow, side-effect-free start-up work early (Payload's child process loading
   * Payload and its config), so it overlaps the journal set-up and the steps of the engines before
   * this one. The core calls it for `up` and `down` (never `--dry-run` or `status`), under the lock,
   * once the plan holds steps of this engine — never when it has none. It must not connect to a
   * database, change anything or throw: a failure is reported by the engine's first step, as if
   * there had been no warm-up. The core calls `close()` when the command ends.
   */
  warmUp?(ctx: WarmUpContext): void;
  /** Release anything the adapter holds (child processes, pools). The adapter stays usable. */
  close?(): Promise<void>;
}

export interface WarmUpContext {
  /** The database URL the engine's steps will get as `StepContext.databaseUrl`. */
  databaseUrl: string;
  /** What the engine's steps will get as `StepContext.lockTimeoutMs`. */
  lockTimeoutMs?: number;
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
