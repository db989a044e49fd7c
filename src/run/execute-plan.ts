import type { BatchRunner, BatchStepResult, MigrationAdapter, Queryable, SingleRunner, StepContext } from '../adapter/contract.js';
import type { Journal } from '../journal/journal.js';
import { withAdvisoryLocks } from '../lock/held-locks.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { RunEvents } from './run-events.js';
import { SESSION_RESET, type PreparedSqlStep } from './step-pipeline.js';
import { StepTransaction } from './step-transaction.js';
import type { LockWatcher } from './lock-watch.js';
import type { LockRetryPolicy } from './lock-retry.js';
import { failedResult, finished, notRun, RunLog, stepLogger } from './run-log.js';
import { runSqlGroup } from './sql-group.js';
import type { StepResult } from './step-result.js';

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
  /** Its database's URL. */
  lockUrl: string;
  lockTimeoutSeconds: number;
  journal: Journal;
  /** Journal writes go to the main database. */
  journalDb: Queryable;
  runId: number;
  events: RunEvents;
  /** How each SQL step runs, decided before the run (prepareSqlSteps). */
  prepared: Map<PlannedStep, PreparedSqlStep>;
  /** --ddl-lock-timeout / --ddl-retries: every migration's lock waits are bounded, and retried. */
  lockRetry?: LockRetryPolicy;
  /**
   * Reports what a step session waits for when it waits on a lock (lock-watch.ts): the engine's
   * connection, or the sessions of an application (Payload's child opens its own).
   */
  lockWatch?(engine: string, sessions?: { applicationName: string }): Promise<LockWatcher | undefined>;
  /**
   * Aborted when the process is told to stop: no step starts after it. The caller ends what runs
   * on the server (src/run/interrupt.ts), which fails the running step's query.
   */
  signal?: AbortSignal;
  /**
   * Called after each step that committed, before the next step starts: the shadow replay looks at
   * the database between migrations there (src/shadow/). With it, one-query SQL steps are not
   * pipelined, and a batch engine pauses between its migrations (`pausesBetweenSteps`) or gets
   * them one per call. An error it throws ends the run with that error.
   */
  afterStep?: (step: PlannedStep) => Promise<void>;
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
      const { runner } = adapter;
      if (runner.granularity === 'batch') await runBatchGroup(group, adapter, runner, ctx, log);
      else if (runner.granularity === 'sql') await runSqlGroup(group, adapter, runner, ctx, log);
      else await runAdapterGroup(group, adapter, runner, ctx, log);
    });
  }
  return log.results;
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
  if (keys.length === 0) return fn();
  await withAdvisoryLocks(ctx.lockDb, ctx.lockUrl, keys, { timeoutSeconds: ctx.lockTimeoutSeconds }, fn);
}

/**
 * Custom engines that run their own steps (apply/revert). A transactional step gets a transaction
 * whose BEGIN goes out just before the adapter's first query; the session is reset after every
 * step, inside that transaction when there is one (step-pipeline.ts, invariant 4).
 */
async function runAdapterGroup(group: PlannedStep[], adapter: MigrationAdapter, runner: SingleRunner, ctx: ExecuteContext, log: RunLog): Promise<void> {
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
    const tx = runner.transactional && step.migration.transactional ? new StepTransaction(db) : undefined;
    const context: StepContext = {
      db: tx ? tx.connection : db,
      inTransaction: tx !== undefined,
      databaseUrl,
      log: stepLogger(ctx, step.engine, step.id),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.lockRetry ? { lockTimeoutMs: ctx.lockRetry.lockTimeoutMs } : {}),
    };
    let committed = false;
    try {
      await (step.direction === 'up' ? runner.apply(step.migration, context) : (runner.revert ?? missingRevert(adapter)).call(runner, step.migration, context));
      const journalRow = tx ? log.journalRow(step, seq, db) : undefined;
      if (tx) await tx.commit([...SESSION_RESET, ...(journalRow ? [journalRow] : [])]);
      else await db.query(SESSION_RESET.join(';\n'));
      await log.record(finished(step, startedAt), startedAt, seq, journalRow !== undefined);
      committed = true;
    } catch (error) {
      await tx?.rollback().catch(() => undefined);
      await db.query(SESSION_RESET.join(';\n')).catch(() => undefined);
      await log.record(failedResult(step, startedAt, error), startedAt, seq);
    }
    // Outside the try: the hook's error is not the step's (the step committed).
    if (committed) await ctx.afterStep?.(step);
  }
}

/**
 * Batch engines (Payload, Drizzle with atomic: true): the whole group in one call — or, when the
 * caller must see the database after each step and the engine cannot pause between its
 * migrations, one call per step.
 */
async function runBatchGroup(group: PlannedStep[], adapter: MigrationAdapter, runner: BatchRunner, ctx: ExecuteContext, log: RunLog): Promise<void> {
  if (!ctx.afterStep || runner.pausesBetweenSteps) {
    await runBatchCall(group, adapter, runner, ctx, log);
    return;
  }
  for (const step of group) {
    if (log.failed) await log.record(notRun(step), new Date(), log.nextSeq());
    else await runBatchCall([step], adapter, runner, ctx, log);
  }
}

/**
 * The engine's own sessions (Payload's child) watched while its batch runs: a lock wait is reported
 * on the migration running then — the first of the batch the engine has not said ended (stepEnded).
 */
async function batchWatch(group: PlannedStep[], runner: BatchRunner, ctx: ExecuteContext): Promise<{ stepEnded(id: string): void; close(): Promise<void> } | undefined> {
  const watcher = runner.ownSessions ? await ctx.lockWatch?.(group[0]!.engine, runner.ownSessions) : undefined;
  if (!watcher) return undefined;
  const ended = new Set<string>();
  watcher.onWait((wait) => {
    const running = group.find((step) => !ended.has(step.id));
    if (running) ctx.events.lockWait?.(running, wait);
  });
  watcher.started();
  return { stepEnded: (id) => ended.add(id), close: () => watcher.close() };
}

async function runBatchCall(group: PlannedStep[], adapter: MigrationAdapter, runner: BatchRunner, ctx: ExecuteContext, log: RunLog): Promise<void> {
  const first = group[0]!;
  const startedAt = new Date();
  for (const step of group) ctx.events.stepStarted?.(step);
  const revertBatch = runner.revertBatch?.bind(runner);
  const run = first.direction === 'up' ? runner.applyBatch.bind(runner) : (revertBatch ?? missingRevert(adapter));
  const hook = batchHook(group, runner, ctx);
  const watch = await batchWatch(group, runner, ctx);
  const context: StepContext = {
    db: await ctx.engineDb(adapter.name),
    inTransaction: false,
    databaseUrl: ctx.engineUrl(adapter.name),
    log: stepLogger(ctx, first.engine),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.lockRetry ? { lockTimeoutMs: ctx.lockRetry.lockTimeoutMs } : {}),
    ...(hook.afterStep ? { afterStep: hook.afterStep } : {}),
    ...(watch ? { stepEnded: (id: string) => watch.stepEnded(id) } : {}),
  };
  let batch: BatchStepResult[];
  try {
    batch = await run(
      group.map((s) => s.migration),
      context,
    );
  } catch (error) {
    batch = [{ id: first.id, ok: false, durationMs: Date.now() - startedAt.getTime(), error: error as Error }];
  } finally {
    await watch?.close();
  }
  hook.throwIfFailed();
  const committed: PlannedStep[] = [];
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
    if (outcome.ok) committed.push(step);
  }
  await hook.afterTheRest(committed);
}

/**
 * `ctx.afterStep` as a batch runner that pauses between its migrations gets it: by id, noting
 * which steps it ran for (the core runs it for the others once the batch returns), and keeping
 * the hook's own error apart from the batch's (the runner may turn it into a step failure).
 */
function batchHook(group: PlannedStep[], runner: BatchRunner, ctx: ExecuteContext) {
  const { afterStep } = ctx;
  const done = new Set<PlannedStep>();
  let failure: { error: unknown } | undefined;
  const forRunner =
    afterStep && runner.pausesBetweenSteps
      ? async (id: string) => {
          const step = group.find((s) => s.id === id);
          if (!step || done.has(step)) return;
          done.add(step);
          try {
            await afterStep(step);
          } catch (error) {
            failure ??= { error };
            throw error;
          }
        }
      : undefined;
  return {
    afterStep: forRunner,
    throwIfFailed(): void {
      if (failure) throw failure.error;
    },
    async afterTheRest(committed: PlannedStep[]): Promise<void> {
      if (!afterStep) return;
      for (const step of committed) if (!done.has(step)) await afterStep(step);
    },
  };
}

/**
 * The planner plans a revert only for a migration that has a down (capabilities.rollback), so a
 * runner without one here is an adapter that declared more than it can do.
 */
function missingRevert(adapter: MigrationAdapter): never {
  throw new Error(`${adapter.name}: capabilities.rollback is "${adapter.capabilities.rollback}", but its runner cannot revert`);
}
