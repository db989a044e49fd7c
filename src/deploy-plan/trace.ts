import type { Queryable } from '../adapter/contract.js';
import { SESSION_RESET } from '../run/step-pipeline.js';
import { foreignKeysWithoutIndex, observationAfterCommit, observeCatalog, observeInTransaction, type Observation } from './catalog-observation.js';
import { documentedLocks } from './documented-locks.js';
import { StatementRecorder } from './statement-recorder.js';
import { shapeStatements, type ShapedStatement } from './statement-shape.js';
import { planTraceActions, type TraceAction } from './trace-actions.js';
import type { ForeignKeyWithoutIndex, MigrationToTrace, MigrationTrace, StatementTrace, TraceOptions } from './types.js';

/**
 * Trace one migration on a scratch database (Eugene's `trace`, done polymigrate's way): run its
 * statements one at a time as `up` would, and after each read back from the catalog, on the same
 * backend and inside the same transaction, what PostgreSQL did — the locks it holds, the
 * relfilenodes it changed, the columns, constraints, types and schemas it changed.
 *
 * `db` must be a connection of its own, idle (no open transaction), to a database in the state the
 * migration expects; nothing else should run there meanwhile. A transactional migration is rolled
 * back at the end unless `options.commit`; a non-transactional one commits as it goes (the trace says
 * so in `notes`). The session is reset afterwards as the step protocol resets it between migrations.
 */
export async function traceMigration(db: Queryable, migration: MigrationToTrace, options: TraceOptions = {}): Promise<MigrationTrace> {
  const started = performance.now();
  const shaped = await shapeStatements(migration.statements);
  for (const statement of options.session ?? []) await db.query(statement);
  const scoped = options.observe !== 'full';
  const carried = scoped ? options.carry?.observation : undefined;
  if (options.carry) delete options.carry.observation;
  const initial = await timedObserve(db, carried);
  const run = new TraceRun(db, shaped, initial, migration.transactional ? options.commit === true : true, scoped);
  try {
    await run.perform(
      planTraceActions(
        shaped.map((s) => s.shape),
        migration.transactional,
        migration.commits,
      ),
    );
  } finally {
    await db.query(SESSION_RESET.join(';\n'));
  }
  // What it committed is the catalog now: the next migration's trace may start from it.
  if (options.carry && scoped && !run.failed && !run.rolledBack) options.carry.observation = run.recorder.current;
  return {
    engine: migration.engine,
    id: migration.id,
    transactional: migration.transactional,
    statements: run.recorder.statements,
    outcome: run.failed ? 'failed' : 'ok',
    committed: run.committed,
    notes: [...notesFor(migration, options), ...run.notes],
    foreignKeysWithoutIndex: run.foreignKeys,
    traceMs: performance.now() - started,
    observeMs: run.observeMs,
    observations: run.observations,
  };
}

async function timedObserve(db: Queryable, carried: Observation | undefined): Promise<{ observation: Observation; ms: number }> {
  const t0 = performance.now();
  const observation = carried ? await observationAfterCommit(db, carried) : await observeCatalog(db);
  return { observation, ms: performance.now() - t0 };
}

function notesFor(migration: MigrationToTrace, options: TraceOptions): string[] {
  if (!migration.transactional) {
    return ['ran for real outside one transaction, as `up` runs it: what it changed stays in the scratch database'];
  }
  return options.commit
    ? ['ran in one transaction, committed: what it changed stays in the scratch database']
    : ['ran in one transaction, rolled back at the end: the scratch database is as it was'];
}

/** One trace in progress: the connection, the recorder, and where the actions have got to. */
class TraceRun {
  readonly recorder: StatementRecorder;
  readonly tracked: number[];
  readonly notes: string[] = [];
  foreignKeys: ForeignKeyWithoutIndex[] = [];
  failed = false;
  committed = false;
  /** A block was rolled back: the last observation is not the catalog any more. */
  rolledBack = false;
  observations = 1;
  observeMs: number;
  private inBlock = false;
  private checked = false;

  constructor(
    private readonly db: Queryable,
    private readonly shaped: ShapedStatement[],
    initial: { observation: Observation; ms: number },
    private readonly commitBlocks: boolean,
    private readonly scoped: boolean,
  ) {
    this.recorder = new StatementRecorder(initial.observation);
    this.tracked = [...initial.observation.relations.keys()];
    this.observeMs = initial.ms;
  }

  async perform(actions: TraceAction[]): Promise<void> {
    for (const [position, action] of actions.entries()) {
      if (this.failed) {
        if (action.do === 'run' || action.do === 'skip') this.recorder.skipped(this.shaped[action.statement]!, 'not-run');
        continue;
      }
      const isLast = position === actions.length - 1;
      if (action.do === 'begin') await this.begin();
      else if (action.do === 'end') await this.end(action, isLast);
      else if (action.do === 'skip') this.recorder.skipped(this.shaped[action.statement]!, 'control', action.note);
      else if (action.inBlock) await this.runInBlock(this.shaped[action.statement]!);
      else await this.runOutside(this.shaped[action.statement]!);
    }
    if (!this.failed && !this.checked) await this.finalChecks();
    if (this.inBlock) await this.db.query('ROLLBACK');
  }

  private async begin(): Promise<void> {
    await this.db.query('BEGIN');
    this.inBlock = true;
  }

  private async end(action: Extract<TraceAction, { do: 'end' }>, isLast: boolean): Promise<void> {
    if (isLast) await this.finalChecks();
    const rollback = action.rollback === true || !this.commitBlocks;
    if (action.note) this.notes.push(action.note);
    try {
      await this.db.query(rollback ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      // A deferred constraint fails at COMMIT: the migration fails there, as it would in `up`.
      this.fail(`COMMIT failed: ${(error as Error).message}`);
    }
    this.inBlock = false;
    if (rollback) this.rolledBack = true;
    if (!rollback && !this.failed) this.committed = true;
    // After a ROLLBACK the catalog is back where the block started: look again before going on.
    this.recorder.transactionEnded(rollback && !isLast ? await this.observe() : undefined);
  }

  private async runInBlock(shaped: ShapedStatement): Promise<void> {
    const t0 = performance.now();
    let rowCount: number | null;
    try {
      ({ rowCount } = await this.db.query(shaped.statement.sql));
    } catch (error) {
      this.recordFailure(shaped, error, performance.now() - t0, this.commitBlocks ? 'committed transaction' : 'rolled-back transaction');
      await this.db.query('ROLLBACK');
      this.inBlock = false;
      this.rolledBack = true;
      return;
    }
    const durationMs = performance.now() - t0;
    this.recorder.ran(shaped, {
      after: await this.observe(),
      durationMs,
      ranIn: this.commitBlocks ? 'committed transaction' : 'rolled-back transaction',
      ...(rowCount != null && isDml(shaped) ? { rowCount } : {}),
    });
  }

  /** CREATE INDEX CONCURRENTLY and the like: for real, alone; their locks are the documented ones. */
  private async runOutside(shaped: ShapedStatement): Promise<void> {
    const documented = await documentedLocks(this.db, shaped.shape, this.recorder.current);
    const t0 = performance.now();
    try {
      await this.db.query(shaped.statement.sql);
    } catch (error) {
      this.recordFailure(shaped, error, performance.now() - t0, 'outside a transaction');
      return;
    }
    const durationMs = performance.now() - t0;
    this.committed = true;
    this.recorder.ran(shaped, {
      after: await this.observe(),
      durationMs,
      ranIn: 'outside a transaction',
      documented,
      note: 'ran for real outside a transaction (PostgreSQL allows it nowhere else): it committed; its locks are the ones PostgreSQL documents for it',
    });
  }

  private recordFailure(shaped: ShapedStatement, error: unknown, durationMs: number, ranIn: NonNullable<StatementTrace['ranIn']>): void {
    const { message, code } = error as { message: string; code?: string };
    this.recorder.failed(shaped, { message, ...(code ? { code } : {}) }, durationMs, ranIn);
    this.fail(`statement ${this.recorder.statements.length} failed: ${message}`);
  }

  private fail(note: string): void {
    this.failed = true;
    this.notes.push(`${note} — the migration would fail here; the statements after it did not run`);
  }

  /**
   * Inside the open block, scoped to what its locks allow it to have changed; outside one (a
   * statement that committed on its own, a rolled-back block), the whole catalog — with every
   * relation's columns when scoped, so the observation stays complete for the next migration.
   */
  private async observe(): Promise<Observation> {
    const t0 = performance.now();
    const observation = !this.scoped
      ? await observeCatalog(this.db, this.tracked)
      : this.inBlock
        ? await observeInTransaction(this.db, this.recorder.current, this.tracked)
        : await observeCatalog(this.db);
    this.observeMs += performance.now() - t0;
    this.observations += 1;
    return observation;
  }

  private async finalChecks(): Promise<void> {
    this.checked = true;
    // Scoped observations hold every constraint of the database: without a new foreign key there is nothing to look for.
    const { initial, current } = this.recorder;
    if (this.scoped && ![...current.constraints.values()].some((c) => c.type === 'foreign key' && !initial.constraints.has(c.oid))) return;
    const t0 = performance.now();
    this.foreignKeys = await foreignKeysWithoutIndex(this.db, new Set(this.recorder.initial.constraints.keys()));
    this.observeMs += performance.now() - t0;
    this.observations += 1;
  }
}

function isDml({ shape }: ShapedStatement): boolean {
  return ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(shape.type);
}
