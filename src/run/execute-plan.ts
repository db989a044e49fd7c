import type { BatchStepResult, MigrationAdapter, Queryable, StepContext } from '../adapter/contract.js';
import type { Journal, StepStatus } from '../journal/journal.js';
import { acquireAdvisoryLock, releaseAdvisoryLock } from '../lock/advisory-lock.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { RunEvents } from './run-events.js';
import { StepTransaction } from './step-transaction.js';
import { describeStepError, type StepResult } from './step-result.js';

export interface ExecuteContext {
  adapters: Map<string, MigrationAdapter>;
  /** The connection an engine's steps run on (its own URL, or the main one). */
  engineDb(engine: string): Promise<Queryable>;
  engineUrl(engine: string): string;
  /** The session that holds polymigrate's lock; engine lock keys are taken there too. */
  lockDb: Queryable;
  lockTimeoutSeconds: number;
  journal: Journal;
  /** Journal writes go to the main database. */
  journalDb: Queryable;
  /**
   * journalDb holds the step guard (POLYMIGRATE_STEP_GUARD_KEY), so a step that runs on it may
   * end its query with COMMIT (see StepTransaction).
   */
  journalDbGuarded?: boolean;
  runId: number;
  events: RunEvents;
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

/**
 * Run planned steps in order and stop at the first failure. Every step gets a result (the ones
 * never started are "not-run"), and every finished step is journaled as it happens.
 * A transactional step runs in one transaction with its history write.
 */
export async function executePlan(steps: PlannedStep[], ctx: ExecuteContext): Promise<StepResult[]> {
  const results: StepResult[] = [];
  let failed = false;
  let seq = 0;

  const journalStep = (db: Queryable, result: StepResult, startedAt: Date, stepSeq: number) =>
    ctx.journal.recordStep(db, ctx.runId, {
      seq: stepSeq, engine: result.engine, migration: result.id, direction: result.direction,
      // Only steps that ran are journaled (callers return early for not-run).
      status: result.status as StepStatus, startedAt, durationMs: result.durationMs,
      ...(result.error ? { error: result.error.message } : {}),
    });

  /** `journaled`: the step's journal row was already written inside its own transaction. */
  const record = async (result: StepResult, startedAt: Date, journaled = false) => {
    results.push(result);
    ctx.events.stepFinished?.(result);
    seq += 1;
    if (result.status === 'not-run' || journaled) return;
    await journalStep(ctx.journalDb, result, startedAt, seq);
  };

  for (const group of groupByEngine(steps)) {
    const first = group[0]!;
    if (failed) {
      for (const step of group) await record(notRun(step), new Date());
      continue;
    }
    const adapter = ctx.adapters.get(first.engine)!;
    const db = await ctx.engineDb(first.engine);
    const extraKeys = adapter.capabilities.lockKeys ?? [];
    for (const key of extraKeys) await acquireAdvisoryLock(ctx.lockDb, key, { timeoutSeconds: ctx.lockTimeoutSeconds });
    try {
      const databaseUrl = ctx.engineUrl(first.engine);
      const stepContext = (step: PlannedStep | undefined, inTransaction: boolean): StepContext => ({
        db,
        inTransaction,
        databaseUrl,
        log: {
          info: (message) => ctx.events.engineOutput?.({ engine: first.engine, ...(step ? { id: step.id } : {}) }, 'info', message),
          warn: (message) => ctx.events.engineOutput?.({ engine: first.engine, ...(step ? { id: step.id } : {}) }, 'warn', message),
        },
      });
      if (adapter.capabilities.granularity === 'batch') {
        const startedAt = new Date();
        for (const step of group) ctx.events.stepStarted?.(step);
        const run = first.direction === 'up' ? adapter.applyBatch! : adapter.revertBatch!;
        let batch: BatchStepResult[];
        try {
          batch = await run.call(adapter, group.map((s) => s.migration), stepContext(undefined, false));
        } catch (error) {
          batch = [{ id: first.id, ok: false, durationMs: Date.now() - startedAt.getTime(), error: error as Error }];
        }
        for (const step of group) {
          const outcome = batch.find((b) => b.id === step.id);
          if (!outcome || failed) {
            await record(notRun(step), startedAt);
            continue;
          }
          if (!outcome.ok) failed = true;
          await record({
            engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
            status: outcome.ok ? (step.direction === 'up' ? 'applied' : 'reverted') : 'failed',
            durationMs: outcome.durationMs,
            ...(outcome.ok ? {} : { error: describeStepError(outcome.error) }),
          }, startedAt);
        }
        continue;
      }
      for (const step of group) {
        if (failed) {
          await record(notRun(step), new Date());
          continue;
        }
        ctx.events.stepStarted?.(step);
        const startedAt = new Date();
        const transactional = adapter.capabilities.transactional && step.migration.transactional;
        const status = step.direction === 'up' ? 'applied' : 'reverted';
        // The journal row commits with the migration when they share a database: the journal can
        // never miss a committed step, and it rides in the step's last query (see StepTransaction).
        const sameTransaction = transactional && db === ctx.journalDb;
        const tx = transactional
          ? new StepTransaction(db, sameTransaction ? ctx.journal.stepRowSql(ctx.runId, {
            seq: seq + 1, engine: step.engine, migration: step.id, direction: step.direction, status, startedAt,
          }) : '', sameTransaction && ctx.journalDbGuarded === true)
          : undefined;
        try {
          const context: StepContext = tx
            ? { ...stepContext(step, true), db: tx.connection, envelope: tx.envelope }
            : stepContext(step, false);
          if (step.direction === 'up') await adapter.apply!(step.migration, context);
          else await adapter.revert!(step.migration, context);
          await tx?.commit();
          await record({
            engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
            status, durationMs: Date.now() - startedAt.getTime(),
          }, startedAt, sameTransaction);
        } catch (error) {
          await tx?.rollback().catch(() => undefined);
          failed = true;
          await record({
            engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
            status: 'failed', durationMs: Date.now() - startedAt.getTime(), error: describeStepError(error),
          }, startedAt);
        }
      }
    } finally {
      for (const key of [...extraKeys].reverse()) await releaseAdvisoryLock(ctx.lockDb, key).catch(() => undefined);
    }
  }
  return results;
}

function notRun(step: PlannedStep): StepResult {
  return { engine: step.engine, kind: step.kind, id: step.id, direction: step.direction, status: 'not-run', durationMs: 0 };
}
