/**
 * The contract of `polymigrate plan`'s analysis core (issue 17): what goes in, what comes out. Logic-free;
 * read it top to bottom before using or extending src/deploy-plan/.
 *
 * How the pieces fit
 * ------------------
 * 1. Trace (trace.ts). The caller hands over a connection to a scratch database already in the
 *    state the migration expects (the shadow at the live database's applied state) and one
 *    migration's statements as polymigrate would run them (`MigrationToTrace`). Every statement runs
 *    for real, one at a time, and after each one the tracing backend's own `pg_locks`, the
 *    relfilenodes, columns, constraints, types and schemas are read back in one catalog query
 *    (catalog-observation.ts), so the trace says what PostgreSQL did, not what the SQL text
 *    suggests. A transactional migration runs in one transaction that is rolled back at the end
 *    unless the caller asks to commit (to replay on in the shadow). Statements that cannot run in a
 *    transaction block (CREATE INDEX CONCURRENTLY…) run for real, and the trace says so.
 *    The recorder behind it (statement-recorder.ts) takes (statement, observation) pairs and can be
 *    fed from elsewhere: from SQL captured in a session polymigrate does not drive (Payload's), see
 *    captured-log.ts.
 * 2. Rules (rules/*.ts, one file per family; rules/catalog.ts lists them). Each rule has a stable
 *    code (`PM101`), a name (`index-without-concurrently`), what it finds, why it hurts and the safer
 *    way. Rules read the trace's facts (locks actually taken, rewrites actually seen) and the parse
 *    tree of each statement (PostgreSQL's own parser, src/db/pg-parser.ts).
 * 3. Inline ignores (inline-ignore.ts): `-- polymigrate-ignore CODE: reason` silences CODE for the
 *    next statement, or for the whole file when it stands in the file's header (see there).
 * 4. Live sizes (sizes.ts): for every relation the migrations touch, the live database's catalog
 *    estimates (no scans) and the transactions open there right now.
 * 5. Risk (risk.ts): findings × sizes → low / medium / high / critical, with one sentence.
 * 6. Report (plan-report.ts) and its renderings (render-json.ts, render-table.ts, render-markdown.ts);
 *    `--fail-on` (fail-on.ts).
 */
import type { ControlKind } from '../db/transaction-control.js';
import type { Observation } from './catalog-observation.js';

// ─── Input: what the trace runs ────────────────────────────────────────────────────────────────

/** One statement as polymigrate would send it. */
export interface TraceStatement {
  /** The statement's SQL. Several statements in one text (a captured multi-statement query) are split by the trace. */
  sql: string;
  /** The file it comes from (a migration file, or the Payload migration a captured statement belongs to). */
  file?: string;
  /** 1-based line of the statement's first character in `file`, when known. */
  line?: number;
  /**
   * The comments and whitespace between the previous statement and this one in its file: where
   * inline ignores (`-- polymigrate-ignore CODE: reason`) are read from. statementsFromSource() fills it.
   */
  leading?: string;
}

/**
 * How a non-transactional migration's statements commit (src/run/step-pipeline.ts StepMode):
 * 'each-statement' — one statement at a time outside any transaction, each committing unless it is
 * inside the script's own BEGIN … COMMIT ('one-by-one'); 'commit-points' — the script as one query,
 * statements committing together up to each COMMIT of the script ('row-first', Prisma's way).
 */
export type CommitShape = 'each-statement' | 'commit-points';

export interface MigrationToTrace {
  engine: string;
  id: string;
  statements: TraceStatement[];
  /** The migration runs in one transaction (polymigrate's, or the script's own BEGIN … COMMIT). */
  transactional: boolean;
  /** Non-transactional migrations: how their statements commit. Default 'each-statement'. */
  commits?: CommitShape;
}

export interface TraceOptions {
  /**
   * Keep what a transactional migration did (the caller replays the next migration on top). Default
   * false: its transaction is rolled back and the scratch database is left as it was. Statements
   * outside a transaction (non-transactional migrations) always commit: PostgreSQL gives no way back.
   */
  commit?: boolean;
  /**
   * The session statements polymigrate runs before a migration (the engine's `SqlRunner.session`,
   * `SET lock_timeout = '…'` from --ddl-lock-timeout), so the trace sees the same settings as `up`.
   */
  session?: readonly string[];
  /**
   * How the catalog is read after a statement inside the trace's transaction: 'scoped' (default)
   * reads columns and constraints again only where this transaction holds locks or made new
   * relations (observeInTransaction); 'full' reads them for every relation after every statement —
   * the reference the scoped reading is tested against.
   */
  observe?: 'scoped' | 'full';
  /**
   * Carried from one migration's trace to the next on the same connection (tracePending): the
   * catalog as the previous trace left it, when it committed everything it ran and nothing else
   * touched the database since — the next trace starts from it instead of reading the whole
   * catalog again. The trace sets it to what it leaves, or clears it.
   */
  carry?: { observation?: Observation };
}

// ─── Facts the trace observed ──────────────────────────────────────────────────────────────────

export type RelationKind = 'table' | 'partitioned table' | 'index' | 'partitioned index' | 'sequence' | 'view' | 'materialized view' | 'foreign table';

/** A relation by its name before the migration ran (the name the live database knows it by). */
export interface RelationRef {
  schema: string;
  name: string;
  kind: RelationKind;
}

/** pg_locks.mode values, weakest first. */
export type LockMode = 'AccessShareLock' | 'RowShareLock' | 'RowExclusiveLock' | 'ShareUpdateExclusiveLock' | 'ShareLock' | 'ShareRowExclusiveLock' | 'ExclusiveLock' | 'AccessExclusiveLock';

/** Which everyday operations wait while a lock is held (lock-modes.ts). */
export interface Blocks {
  /** Plain SELECT. */
  reads: boolean;
  /** INSERT / UPDATE / DELETE (and SELECT … FOR UPDATE / FOR SHARE). */
  writes: boolean;
}

export interface LockFact {
  relation: RelationRef;
  mode: LockMode;
  blocks: Blocks;
  /**
   * 'observed': read from pg_locks of the tracing backend. 'documented': the statement ran outside
   * a transaction block (CONCURRENTLY…), where its locks are gone by the time it returns; the mode is
   * PostgreSQL's documented one for that statement.
   */
  source: 'observed' | 'documented';
}

/** A lock taken by an earlier statement of the same transaction, still held. */
export interface HeldLock extends LockFact {
  /** Index of the statement that took it. */
  takenBy: number;
}

/** A relation PostgreSQL rewrote (its relfilenode changed): every row copied, every index rebuilt. */
export interface RewriteFact {
  relation: RelationRef;
}

export interface ColumnFact {
  table: RelationRef;
  /** The column's name before the statement. */
  column: string;
}

export type ColumnChange =
  | { kind: 'added'; at: ColumnFact; type: string; notNull: boolean; hasDefault: boolean; identity: boolean; generated: boolean }
  | { kind: 'dropped'; at: ColumnFact; type: string }
  | { kind: 'renamed'; at: ColumnFact; to: string }
  | { kind: 'type-changed'; at: ColumnFact; from: string; to: string }
  /** `scan`: false when a valid CHECK (col IS NOT NULL) already proved it, so PostgreSQL (12+) skipped the scan. */
  | { kind: 'not-null-set'; at: ColumnFact; scan: boolean }
  | { kind: 'not-null-dropped'; at: ColumnFact };

export type ConstraintType = 'check' | 'foreign key' | 'unique' | 'primary key' | 'exclusion' | 'not null' | 'trigger';

export interface ConstraintFact {
  table: RelationRef;
  name: string;
  type: ConstraintType;
  /** pg_get_constraintdef. */
  definition: string;
  validated: boolean;
  /** Foreign keys: the referenced table, when it existed before the migration. */
  references?: RelationRef;
}

export type ConstraintChange =
  { kind: 'added'; constraint: ConstraintFact; builtIndex?: RelationRef } | { kind: 'validated'; constraint: ConstraintFact } | { kind: 'dropped'; constraint: ConstraintFact };

/**
 * What one statement changed in the catalog, about objects that existed before the migration ran
 * (the ones other sessions can see; what the migration itself created nobody else can lock yet).
 */
export interface CatalogChanges {
  /** New indexes on pre-existing tables (explicit, or built by a constraint). */
  newIndexes: Array<{ index: { schema: string; name: string }; table: RelationRef; unique: boolean }>;
  /** Relations created by the statement (any, new tables included), by their new names. */
  created: Array<{ schema: string; name: string; kind: RelationKind }>;
  dropped: RelationRef[];
  renamed: Array<{ relation: RelationRef; to: { schema: string; name: string } }>;
  rewritten: RewriteFact[];
  columns: ColumnChange[];
  constraints: ConstraintChange[];
  droppedTypes: Array<{ schema: string; name: string; kind: 'enum' | 'domain' | 'range' | 'composite' }>;
  droppedSchemas: string[];
}

/** libpg-query's view of one statement, for the rules. */
export interface StatementShape {
  /** The parse node type ("AlterTableStmt", "IndexStmt"…); 'unparsed' when PostgreSQL's parser refused it. */
  type: string;
  node: Record<string, unknown>;
  /** Transaction control (BEGIN, COMMIT, SAVEPOINT, SET TRANSACTION, CALL…), src/db/transaction-control.ts. */
  control?: ControlKind;
  /** PostgreSQL refuses it inside a transaction block: the label ("CREATE INDEX CONCURRENTLY"). */
  outsideTransaction?: string;
}

export type StatementOutcome =
  /** It ran (and, when observed, its facts are below). */
  | 'ran'
  /** PostgreSQL raised an error: the migration would fail here. */
  | 'failed'
  /** An earlier statement failed. */
  | 'not-run'
  /** Transaction control the trace stands in for (the script's BEGIN/COMMIT around the trace's own transaction). */
  | 'control';

export interface StatementTrace {
  /** 0-based position in the migration (after splitting multi-statement texts). */
  index: number;
  statement: TraceStatement;
  shape: StatementShape;
  outcome: StatementOutcome;
  /** Where it ran: inside a transaction that was rolled back or committed, or on its own outside any. */
  ranIn?: 'rolled-back transaction' | 'committed transaction' | 'outside a transaction';
  /** A sentence about how the trace handled it (a skipped COMMIT, documented locks…). */
  note?: string;
  error?: { message: string; code?: string };
  /** Server time of the statement alone (from sending it to its result), in ms. */
  durationMs?: number;
  /** Rows the statement touched in the scratch database (INSERT/UPDATE/DELETE…). */
  rowCount?: number;
  /** lock_timeout in effect while it ran, in ms (0: none). Undefined when not observed. */
  lockTimeoutMs?: number;
  /** Locks this statement took on pre-existing relations (new to its transaction). */
  locks: LockFact[];
  /** Locks taken by earlier statements of the same transaction and still held while this one ran. */
  holding: HeldLock[];
  /** What it changed; undefined when it was not observed (a statement captured from a log, not replayed). */
  changes?: CatalogChanges;
}

export interface ForeignKeyWithoutIndex {
  constraint: string;
  table: { schema: string; name: string };
  columns: string[];
}

export interface MigrationTrace {
  engine: string;
  id: string;
  transactional: boolean;
  statements: StatementTrace[];
  outcome: 'ok' | 'failed';
  /** Changes stayed in the scratch database (commit requested, or statements ran outside a transaction). */
  committed: boolean;
  /** What the reader of the trace must know (statements run for real, COMMITs not sent…). */
  notes: string[];
  /** Foreign keys added by the migration with no index on their referencing columns at its end. */
  foreignKeysWithoutIndex: ForeignKeyWithoutIndex[];
  /** Whole trace and the part of it spent reading the catalog after statements, in ms. */
  traceMs: number;
  observeMs: number;
  /** How many catalog observations were made (one per statement run, plus the initial one and the final checks). */
  observations: number;
}

// ─── Rules and findings ────────────────────────────────────────────────────────────────────────

/** Levels of a finding, weakest first. 'info' is advice that never changes the risk. */
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';
export type FindingLevel = 'info' | RiskLevel;

export type RuleFamily = 'indexes' | 'constraints' | 'locks' | 'columns' | 'destructive' | 'renames' | 'transactions' | 'style' | 'live' | 'ignores';

/**
 * What the work under a lock costs: 'scales' when it grows with the table (a rewrite, a validation
 * scan, an index build, an UPDATE of every row): then the live table's size sets the level.
 */
export interface Impact {
  blocks: Blocks;
  mode?: LockMode;
  /** The work done while the lock is held, when it scales with the table: "rewrite", "validation scan"… */
  work?: 'rewrite' | 'validation scan' | 'index build' | 'update of every row' | 'delete of every row';
  /** The statement fails on the live database when the table has any row (a NOT NULL column without default). */
  failsWithRows?: boolean;
}

export interface RuleMeta {
  /** Stable code, never reused: `PM101`. */
  code: string;
  /** Stable slug: `index-without-concurrently`. */
  name: string;
  family: RuleFamily;
  /** The level before sizes are known. */
  level: FindingLevel;
  /** What it finds. */
  finds: string;
  /** Why it hurts. */
  why: string;
  /** The safer way to write it. */
  safer: string;
  /** The same check elsewhere: "Eugene E6", "Squawk require-concurrent-index-creation". */
  anchors: string[];
}

/** One place a rule fires. */
export interface RuleHit {
  message: string;
  relation?: { schema: string; name: string };
  /** 'observed': decided from the trace's facts; 'parsed': from the SQL text alone. */
  basis: 'observed' | 'parsed';
  impact?: Impact;
  /** A level other than the rule's, when the facts say so (a type change without rewrite is low). */
  level?: FindingLevel;
}

export interface RuleContext {
  trace: MigrationTrace;
  statement: StatementTrace;
}

export interface Rule extends RuleMeta {
  check(context: RuleContext): RuleHit[];
}

export interface IgnoreDirective {
  /** Codes as written (PM101 or index-without-concurrently), and the codes they stand for. */
  codes: string[];
  reason?: string;
  /** 'file': every statement of the migration; 'statement': the statement that follows it. */
  scope: 'file' | 'statement';
  /** The statement it precedes (for 'file', the first). */
  statement: number;
  file?: string;
  line?: number;
}

export interface Finding {
  code: string;
  name: string;
  /** After sizes (risk.ts); `baseLevel` before. */
  level: FindingLevel;
  baseLevel: FindingLevel;
  /** The statement it is about (index into the migration's statements). */
  statement: number;
  file?: string;
  line?: number;
  relation?: { schema: string; name: string };
  message: string;
  safer: string;
  basis: 'observed' | 'parsed';
  impact?: Impact;
  /** One sentence with sizes, when known: "rewrites public.events (≈48 M rows, 12 GB) under ACCESS EXCLUSIVE: …". */
  risk?: string;
  /** Silenced by an inline ignore: shown in reports, never counted. */
  ignored?: { reason: string; scope: 'file' | 'statement'; line?: number };
}

// ─── The live database ─────────────────────────────────────────────────────────────────────────

export interface RelationSize {
  schema: string;
  name: string;
  /** False: the live database has no such relation (the deploy creates it): it is empty. */
  exists: boolean;
  kind?: RelationKind;
  /** pg_class.reltuples (or pg_stat_user_tables.n_live_tup when never analyzed); undefined when unknown. */
  rows?: number;
  /** Heap (or index) bytes, the indexes' bytes, everything (TOAST included). */
  tableBytes?: number;
  indexBytes?: number;
  totalBytes?: number;
}

export interface OpenTransaction {
  pid: number;
  /** False when pg_stat_activity hides the session (another role, without pg_read_all_stats). */
  visible: boolean;
  applicationName?: string;
  state?: string;
  /** Seconds since its transaction began. */
  transactionSeconds?: number;
  /** Locks it holds or waits for on the relations the migrations touch. */
  locks: Array<{ relation: { schema: string; name: string }; mode: LockMode; granted: boolean }>;
}

export interface LiveSnapshot {
  relations: RelationSize[];
  openTransactions: OpenTransaction[];
  /** Queries sent to the live database (catalog reads only). */
  queries: number;
  readMs: number;
}

// ─── The report ────────────────────────────────────────────────────────────────────────────────

/** What the caller knows about a pending migration besides its trace. */
export interface PlannedMigration {
  engine: string;
  /** The engine's kind (prisma, payload, drizzle, sql…). */
  kind?: string;
  trace: MigrationTrace;
  hasDown: boolean;
  rollback: { strategy: 'down-file' | 'native' | 'none'; recipe?: string };
  /** From the schema diff (src/schema/): objects the migration creates, alters, drops. */
  objects?: { created: string[]; altered: string[]; dropped: string[] };
}

export interface LockWindow {
  relation: RelationRef;
  mode: LockMode;
  blocks: Blocks;
  /** The statements (1-based numbers for people) from the one that took it to the last that ran while it was held. */
  from: number;
  to: number;
  /** The lock lasts until the end of its transaction (true), or only its own statement (outside a transaction). */
  untilCommit: boolean;
  /** Work done under it that scales with the table ("rewrite", "index build"…). */
  work: string[];
  size?: RelationSize;
}

export interface StatementPlan {
  number: number;
  file?: string;
  line?: number;
  sql: string;
  outcome: StatementOutcome;
  note?: string;
  durationMs?: number;
  locks: Array<{ relation: string; mode: string; blocks: Blocks; source: LockFact['source'] }>;
  rewrites: string[];
  findings: Finding[];
}

export interface MigrationPlan {
  engine: string;
  kind?: string;
  id: string;
  transactional: boolean;
  hasDown: boolean;
  rollback: PlannedMigration['rollback'];
  objects: { created: string[]; altered: string[]; dropped: string[] };
  risk: { level: RiskLevel; summary: string };
  trace: { outcome: MigrationTrace['outcome']; committed: boolean; notes: string[]; ms: number };
  statements: StatementPlan[];
  lockWindows: LockWindow[];
  /** Findings about the whole migration (inline ignores, foreign keys left without index…) are on their statement. */
  findingCount: number;
}

/** The `--json` document of `polymigrate plan`. */
export interface DeployPlanDocument {
  version: 1;
  command: 'plan';
  risk: { level: RiskLevel; summary: string };
  findings: { total: number; ignored: number; byLevel: Record<FindingLevel, number> };
  live?: { queries: number; relations: RelationSize[]; openTransactions: OpenTransaction[] };
  migrations: MigrationPlan[];
}
