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
 * 4. `apply(migration, ctx)` runs one migration and records it in the engine's history. When the
 *    engine is `transactional` and the migration does not opt out (`transactional: false`), the
 *    core has already opened a transaction on `ctx.db` and commits it afterwards, so the script
 *    and its history row commit together. Otherwise the adapter owns the protocol (for example
 *    Prisma's "row first, then script, failure recorded in logs").
 * 5. `revert(migration, ctx)` undoes one migration and removes/marks its history, same
 *    transaction rules. The core only calls it when `capabilities.rollback` is not `'none'` and
 *    `migration.hasDown` is true (or rollback is `'native'`).
 * 6. `create(name)` writes a new migration in the engine's own file conventions.
 * 7. `rollbackHint(migration)` explains, for a migration that cannot be reverted, how a person
 *    does it by hand with that engine's tools. It is printed by `down` when it stops there.
 *
 * Errors thrown from `apply`/`revert` may be PostgreSQL errors; the core adds engine, migration and
 * direction. Run scripts through `runSqlScript` (src/db/run-sql-script.ts) so a PostgreSQL error
 * carries the file, line and column of the failing statement.
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
   * Present when the core runs this step in a transaction. Optional to use: an adapter whose
   * step ends with one simple-protocol query (a whole script plus its history row) may send that
   * query through `envelope.send`, which puts the transaction's opening (if nothing has been sent
   * yet), the journal row and, on the session that holds the step guard, the COMMIT into the same
   * query — one round trip per migration instead of three (two on an engine's own database), which
   * the core may send while the previous migration still runs (see executePlan). Adapters that
   * ignore it are unaffected: the core opens the transaction before their first query and commits
   * after apply/revert returns.
   */
  envelope?: StepEnvelope;
}

export interface StepEnvelope {
  /**
   * Send `sql` as the step's last query, inside the step's transaction, and commit it. Resolves
   * once committed. A PostgreSQL error's `position` is made relative to `sql`, as if it had been
   * sent alone. Call at most once, and send nothing on the step's connection afterwards.
   *
   * When this is the step's only query, sent as soon as apply/revert is called, the core may call
   * apply/revert for the next migration before this promise settles: the next query then waits on
   * the server behind this one, and runs nothing if this one fails. Keep apply/revert free of
   * state shared between calls.
   */
  send(sql: string): Promise<void>;
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
  problems?(history: HistoryEntry[]): EngineProblem[];

  /** granularity 'single' */
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
