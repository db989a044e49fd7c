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

/** A single-granularity step that has been started: its adapter call may still be running. */
interface StartedStep {
  step: PlannedStep;
  seq: number;
  status: 'applied' | 'reverted';
  tx: StepTransaction | undefined;
  /** Its journal row is written inside its own transaction. */
  journaled: boolean;
  startedAt: Date;
  running: Promise<void>;
}

/**
 * Run planned steps in order and stop at the first failure. Every step gets a result (the ones
 * never started are "not-run"), and every finished step is journaled as it happens.
 * A transactional step runs in one transaction with its history write.
 *
 * Pipelining: when a step went out as one query that ends with its COMMIT (StepTransaction on the
 * guarded session), the next such step's query is sent behind it before its answer arrives (the
 * main connection is in pg's pipeline mode), so the server starts it the moment the step before it
 * ends, while polymigrate records that one. At most one query waits behind a running one. The
 * queued query starts with a check that the step before it committed
 * (Journal.stepCommittedCheckSql): after a failed step PostgreSQL either refuses it (the aborted
 * transaction is still open) or the check fails, so nothing of it runs and nothing of it commits.
 */
export async function executePlan(steps: PlannedStep[], ctx: ExecuteContext): Promise<StepResult[]> {
  const results: StepResult[] = [];
  let failed = false;
  /** Journal sequence number: the step's position in the plan. */
  let seq = 0;

  /** `journaled`: the step's journal row was already written inside its own transaction. */
  const record = async (result: StepResult, startedAt: Date, stepSeq: number, journaled = false) => {
    results.push(result);
    ctx.events.stepFinished?.(result);
    if (result.status === 'not-run' || journaled) return;
    await ctx.journal.recordStep(ctx.journalDb, ctx.runId, {
      seq: stepSeq, engine: result.engine, migration: result.id, direction: result.direction,
      // Only steps that ran are journaled (not-run returned above).
      status: result.status as StepStatus, startedAt, durationMs: result.durationMs,
      ...(result.error ? { error: result.error.message } : {}),
    });
  };

  for (const group of groupByEngine(steps)) {
    const first = group[0]!;
    if (failed) {
      for (const step of group) await record(notRun(step), new Date(), ++seq);
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
            await record(notRun(step), startedAt, ++seq);
            continue;
          }
          if (!outcome.ok) failed = true;
          await record({
            engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
            status: outcome.ok ? (step.direction === 'up' ? 'applied' : 'reverted') : 'failed',
            durationMs: outcome.durationMs,
            ...(outcome.ok ? {} : { error: describeStepError(outcome.error) }),
          }, startedAt, ++seq);
        }
        continue;
      }

      // The journal row commits with the migration when they share a database: the journal can
      // never miss a committed step, and it rides in the step's query (see StepTransaction).
      const journaledInStep = (step: PlannedStep) =>
        adapter.capabilities.transactional && step.migration.transactional && db === ctx.journalDb;
      const pipelining = ctx.journalDbGuarded === true;

      /** Call the adapter for `step` without waiting; `after`: the step its query may queue behind. */
      const start = (step: PlannedStep, stepSeq: number, after?: StartedStep): StartedStep => {
        const transactional = adapter.capabilities.transactional && step.migration.transactional;
        const status = step.direction === 'up' ? 'applied' : 'reverted';
        const journaled = journaledInStep(step);
        const tx = transactional
          ? new StepTransaction(db, {
            closing: journaled ? ctx.journal.stepRowSql(ctx.runId, {
              seq: stepSeq, engine: step.engine, migration: step.id, direction: step.direction, status,
            }) : '',
            commitInQuery: journaled && pipelining,
            ...(after ? { check: ctx.journal.stepCommittedCheckSql(ctx.runId, after.seq) } : {}),
          })
          : undefined;
        const context: StepContext = tx
          ? { ...stepContext(step, true), db: tx.connection, envelope: tx.envelope }
          : stepContext(step, false);
        let running: Promise<void>;
        try {
          running = step.direction === 'up' ? adapter.apply!(step.migration, context) : adapter.revert!(step.migration, context);
        } catch (error) {
          running = Promise.reject(error);
        }
        running.catch(() => undefined); // awaited in finish; not an unhandled rejection meanwhile
        return { step, seq: stepSeq, status, tx, journaled, startedAt: new Date(), running };
      };

      /** Wait for a started step and record it. `afterFailure`: the step it queued behind failed. */
      const finish = async (started: StartedStep, afterFailure = false) => {
        const { step, tx, startedAt } = started;
        let error: unknown;
        try {
          await started.running;
        } catch (caught) {
          error = caught ?? new Error('step failed');
        }
        // Committed in its own query: applied, whatever happened before (the check let it through).
        if (error === undefined && (!afterFailure || tx?.committedInQuery)) {
          try {
            await tx?.commit();
            await record({
              engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
              status: started.status, durationMs: Date.now() - startedAt.getTime(),
            }, startedAt, started.seq, started.journaled);
            return;
          } catch (caught) {
            error = caught;
          }
        }
        await tx?.rollback().catch(() => undefined);
        if (afterFailure) {
          await record(notRun(step), startedAt, started.seq);
          return;
        }
        failed = true;
        await record({
          engine: step.engine, kind: step.kind, id: step.id, direction: step.direction,
          status: 'failed', durationMs: Date.now() - startedAt.getTime(), error: describeStepError(error),
        }, startedAt, started.seq);
      };

      /** The last started step, when it went out whole and the next one may queue behind it. */
      let inFlight: StartedStep | undefined;
      try {
        for (const step of group) {
          const stepSeq = ++seq;
          const behind = pipelining && journaledInStep(step) ? inFlight : undefined;
          if (inFlight && !behind) {
            await finish(inFlight);
            inFlight = undefined;
          }
          if (failed) {
            await record(notRun(step), new Date(), stepSeq);
            continue;
          }
          if (!behind) ctx.events.stepStarted?.(step);
          const started = start(step, stepSeq, behind);
          if (behind) {
            inFlight = undefined;
            await finish(behind);
            if (failed) {
              await finish(started, true);
              continue;
            }
            // It begins on the server now, once the step before it is done.
            ctx.events.stepStarted?.(step);
            started.startedAt = new Date();
          }
          if (pipelining && started.journaled && started.tx?.dispatchedWhole) inFlight = started;
          else await finish(started);
        }
      } finally {
        if (inFlight) await finish(inFlight);
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
