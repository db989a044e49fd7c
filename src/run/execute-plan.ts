import type {
  BatchStepResult, MigrationAdapter, Queryable, StepContext, StepLogger,
} from '../adapter/contract.js';
import type { Journal, StepStatus } from '../journal/journal.js';
import { acquireAdvisoryLock, releaseAdvisoryLock } from '../lock/advisory-lock.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { RunEvents } from './run-events.js';
import {
  isOneQuery, runSqlStep, sendOneQueryStep, SESSION_RESET, type PreparedSqlStep, type SentStep,
} from './step-pipeline.js';
import { StepTransaction } from './step-transaction.js';
import { describeStepError, type StepResult } from './step-result.js';
import { redactSecrets } from '../secrets/secret-registry.js';

export interface ExecuteContext {
  adapters: Map<string, MigrationAdapter>;
  /**
   * The connection an engine's steps run on (its own URL, or the main one). It holds the step
   * guard (see step-pipeline.ts, invariant 5).
   */
  engineDb(engine: string): Promise<Queryable>;
  engineUrl(engine: string): string;
  /** The session that holds polymigrate's lock; engine lock keys are taken there too. */
  lockDb: Queryable;
  lockTimeoutSeconds: number;
  journal: Journal;
  /** Journal writes go to the main database. */
  journalDb: Queryable;
  runId: number;
  events: RunEvents;
  /** How each SQL step runs, decided before the run (prepareSqlSteps). */
  prepared: Map<PlannedStep, PreparedSqlStep>;
}

/**
 * Run planned steps in order and stop at the first failure. Every step gets a result (the ones
 * never started are "not-run"), and every finished step is journaled as it happens — inside the
 * step's own transaction when the step runs on the journal's database, so the journal never misses
 * a committed step. Consecutive steps of one engine form a group: a batch engine gets them in one
 * call, and the engine's extra lock keys are held once for the group.
 */
export async function executePlan(steps: PlannedStep[], ctx: ExecuteContext): Promise<StepResult[]> {
  const log = new RunLog(ctx);
  for (const group of groupByEngine(steps)) {
    if (log.failed) {
      for (const step of group) await log.record(notRun(step), new Date(), log.nextSeq());
      continue;
    }
    const adapter = ctx.adapters.get(group[0]!.engine)!;
    await withEngineLocks(ctx, adapter, async () => {
      if (adapter.capabilities.granularity === 'batch') await runBatchGroup(group, adapter, ctx, log);
      else if (adapter.sql) await runSqlGroup(group, adapter, ctx, log);
      else await runAdapterGroup(group, adapter, ctx, log);
    });
  }
  return log.results;
}

/** The results so far, the journal writes, and whether a step failed. */
class RunLog {
  readonly results: StepResult[] = [];
  failed = false;
  /** Journal sequence number: the step's position in the plan. */
  private seq = 0;
  constructor(private readonly ctx: ExecuteContext) {}

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** `journaled`: the step's journal row was already written inside its own transaction. */
  async record(result: StepResult, startedAt: Date, seq: number, journaled = false): Promise<void> {
    if (result.status === 'failed') this.failed = true;
    this.results.push(result);
    this.ctx.events.stepFinished?.(result);
    if (result.status === 'not-run' || journaled) return;
    await this.ctx.journal.recordStep(this.ctx.journalDb, this.ctx.runId, {
      seq, engine: result.engine, migration: result.id, direction: result.direction,
      // Only steps that ran are journaled (not-run returned above).
      status: result.status as StepStatus, startedAt, durationMs: result.durationMs,
      ...(result.error ? { error: result.error.message } : {}),
    });
  }

  /** The journal row of a step that succeeds, as SQL to commit with it — when it shares the journal's database. */
  journalRow(step: PlannedStep, seq: number, db: Queryable): string | undefined {
    if (db !== this.ctx.journalDb) return undefined;
    return this.ctx.journal.stepRowSql(this.ctx.runId, {
      seq, engine: step.engine, migration: step.id, direction: step.direction, status: finishedStatus(step),
    });
  }
}

/** Consecutive steps of one engine: batch engines get them in one call, extra lock keys are held once. */
function groupByEngine(steps: PlannedStep[]): PlannedStep[][] {
  const groups: PlannedStep[][] = [];
  for (const step of steps) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.engine === step.engine) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

async function withEngineLocks(ctx: ExecuteContext, adapter: MigrationAdapter, fn: () => Promise<void>): Promise<void> {
  const keys = adapter.capabilities.lockKeys ?? [];
  for (const key of keys) await acquireAdvisoryLock(ctx.lockDb, key, { timeoutSeconds: ctx.lockTimeoutSeconds });
  try {
    await fn();
  } finally {
    for (const key of [...keys].reverse()) await releaseAdvisoryLock(ctx.lockDb, key).catch(() => undefined);
  }
}

/** An engine's own output, redacted here so that no listener (CLI or library) ever gets a secret. */
function stepLogger(ctx: ExecuteContext, engine: string, id?: string): StepLogger {
  const where = { engine, ...(id ? { id } : {}) };
  return {
    info: (message) => ctx.events.engineOutput?.(where, 'info', redactSecrets(message)),
    warn: (message) => ctx.events.engineOutput?.(where, 'warn', redactSecrets(message)),
  };
}

/** A one-query SQL step whose query is on its way (see sendOneQueryStep). */
interface InFlight {
  step: PlannedStep;
  seq: number;
  startedAt: Date;
  sent: SentStep;
}

/**
 * SQL engines: each step through the step protocol (step-pipeline.ts). Consecutive one-query steps
 * on the journal's connection are pipelined: the next step's query is sent before the running
 * one's answer arrives, and carries a check that the running one committed.
 */
async function runSqlGroup(group: PlannedStep[], adapter: MigrationAdapter, ctx: ExecuteContext, log: RunLog): Promise<void> {
  const engine = adapter.sql!;
  const db = await ctx.engineDb(adapter.name);
  let inFlight: InFlight | undefined;
  /** Wait for a sent step and record it; `behindFailure`: the step it was queued behind failed. */
  const settle = async (flight: InFlight, behindFailure = false) => {
    try {
      await flight.sent.settle();
      // Committed in its own query: applied, whatever happened before (its check let it through).
      await log.record(finished(flight.step, flight.startedAt), flight.startedAt, flight.seq, true);
    } catch (error) {
      await log.record(behindFailure ? notRun(flight.step) : failedResult(flight.step, flight.startedAt, error), flight.startedAt, flight.seq);
    }
  };
  for (const step of group) {
    const seq = log.nextSeq();
    const prepared = ctx.prepared.get(step);
    const pipelined = prepared !== undefined && isOneQuery(prepared) && db === ctx.journalDb;
    if (inFlight && !pipelined) {
      await settle(inFlight);
      inFlight = undefined;
    }
    if (log.failed) {
      await log.record(notRun(step), new Date(), seq);
      continue;
    }
    const startedAt = new Date();
    try {
      if (!prepared) throw new Error(`internal error: ${step.engine} ${step.id} was not prepared before the run`);
      const history = await engine.history(step.migration, step.direction);
      const journalRow = log.journalRow(step, seq, db);
      const stepCtx = {
        db, history, session: engine.session ?? [], log: stepLogger(ctx, step.engine, step.id), ...(journalRow ? { journalRow } : {}),
      };
      if (!pipelined) {
        ctx.events.stepStarted?.(step);
        const { journaled } = await runSqlStep(prepared, stepCtx);
        await log.record(finished(step, startedAt), startedAt, seq, journaled);
        continue;
      }
      const behind = inFlight;
      const flight: InFlight = { step, seq, startedAt, sent: sendOneQueryStep(prepared, stepCtx, behind ? ctx.journal.stepCommittedCheckSql(ctx.runId, behind.seq) : undefined) };
      if (behind) {
        await settle(behind);
        if (log.failed) {
          await settle(flight, true);
          inFlight = undefined;
          continue;
        }
        // It begins on the server now, once the step before it is done.
        flight.startedAt = new Date();
      }
      ctx.events.stepStarted?.(step);
      inFlight = flight;
    } catch (error) {
      // Before this step could be sent (an engine's history write failed to build): the one in
      // flight is recorded first, in plan order.
      if (inFlight) await settle(inFlight);
      inFlight = undefined;
      await log.record(failedResult(step, startedAt, error), startedAt, seq);
    }
  }
  if (inFlight) await settle(inFlight);
}

/**
 * Custom engines that run their own steps (apply/revert). A transactional step gets a transaction
 * whose BEGIN goes out just before the adapter's first query; the session is reset after every
 * step, inside that transaction when there is one (step-pipeline.ts, invariant 4).
 */
async function runAdapterGroup(group: PlannedStep[], adapter: MigrationAdapter, ctx: ExecuteContext, log: RunLog): Promise<void> {
  const db = await ctx.engineDb(adapter.name);
  const databaseUrl = ctx.engineUrl(adapter.name);
  for (const step of group) {
    const seq = log.nextSeq();
    if (log.failed) {
      await log.record(notRun(step), new Date(), seq);
      continue;
    }
    ctx.events.stepStarted?.(step);
    const startedAt = new Date();
    const tx = adapter.capabilities.transactional && step.migration.transactional ? new StepTransaction(db) : undefined;
    const context: StepContext = { db: tx ? tx.connection : db, inTransaction: tx !== undefined, databaseUrl, log: stepLogger(ctx, step.engine, step.id) };
    try {
      await (step.direction === 'up' ? adapter.apply!(step.migration, context) : adapter.revert!(step.migration, context));
      const journalRow = tx ? log.journalRow(step, seq, db) : undefined;
      if (tx) await tx.commit([...SESSION_RESET, ...(journalRow ? [journalRow] : [])]);
      else await db.query(SESSION_RESET.join(';\n'));
      await log.record(finished(step, startedAt), startedAt, seq, journalRow !== undefined);
    } catch (error) {
      await tx?.rollback().catch(() => undefined);
      await db.query(SESSION_RESET.join(';\n')).catch(() => undefined);
      await log.record(failedResult(step, startedAt, error), startedAt, seq);
    }
  }
}

/** Batch engines (Payload, Drizzle with atomic: true): the whole group in one call. */
async function runBatchGroup(group: PlannedStep[], adapter: MigrationAdapter, ctx: ExecuteContext, log: RunLog): Promise<void> {
  const first = group[0]!;
  const startedAt = new Date();
  for (const step of group) ctx.events.stepStarted?.(step);
  const run = first.direction === 'up' ? adapter.applyBatch! : adapter.revertBatch!;
  const context: StepContext = {
    db: await ctx.engineDb(adapter.name), inTransaction: false, databaseUrl: ctx.engineUrl(adapter.name), log: stepLogger(ctx, first.engine),
  };
  let batch: BatchStepResult[];
  try {
    batch = await run.call(adapter, group.map((s) => s.migration), context);
  } catch (error) {
    batch = [{ id: first.id, ok: false, durationMs: Date.now() - startedAt.getTime(), error: error as Error }];
  }
  for (const step of group) {
    const seq = log.nextSeq();
    const outcome = batch.find((b) => b.id === step.id);
    if (!outcome || log.failed) {
      await log.record(notRun(step), startedAt, seq);
      continue;
    }
    const result: StepResult = outcome.ok
      ? { ...finished(step, startedAt), durationMs: outcome.durationMs }
      : { ...failedResult(step, startedAt, outcome.error), durationMs: outcome.durationMs };
    await log.record(result, startedAt, seq);
  }
}

function finishedStatus(step: PlannedStep): 'applied' | 'reverted' {
  return step.direction === 'up' ? 'applied' : 'reverted';
}

function finished(step: PlannedStep, startedAt: Date): StepResult {
  return {
    engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
    status: finishedStatus(step), durationMs: Date.now() - startedAt.getTime(),
  };
}

function failedResult(step: PlannedStep, startedAt: Date, error: unknown): StepResult {
  return {
    engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
    status: 'failed', durationMs: Date.now() - startedAt.getTime(), error: describeStepError(error ?? new Error('step failed')),
  };
}

function notRun(step: PlannedStep): StepResult {
  return { engine: step.engine, kind: step.kind, id: step.id, direction: step.direction, status: 'not-run', durationMs: 0 };
}
