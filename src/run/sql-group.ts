import type { MigrationAdapter, Queryable, SqlRunner } from '../adapter/contract.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { ExecuteContext } from './execute-plan.js';
import { isLockTimeout, lockTimeoutStatement, withLockRetries } from './lock-retry.js';
import { describeLockWait, type LockWatcher } from './lock-watch.js';
import { failedResult, finished, notRun, stepLogger, type RunLog } from './run-log.js';
import { isOneQuery, runSqlStep, sendOneQueryStep, type PreparedSqlStep, type SentStep, type SqlStepContext } from './step-pipeline.js';

/** A one-query SQL step whose query is on its way (see sendOneQueryStep). */
interface InFlight {
  step: PlannedStep;
  seq: number;
  startedAt: Date;
  sent: SentStep;
}

/**
 * The steps of one SQL engine, in order, through the step protocol (step-pipeline.ts).
 * Consecutive one-query steps on the journal's connection are pipelined: the next step's query
 * is sent before the running one's answer arrives, and carries a check that the running one
 * committed. With --ddl-lock-timeout they are not (a retried step would invalidate the one queued
 * behind it), and a one-query step that times out on a lock is tried again.
 */
export async function runSqlGroup(group: PlannedStep[], adapter: MigrationAdapter, runner: SqlRunner, ctx: ExecuteContext, log: RunLog): Promise<void> {
  const db = await ctx.engineDb(adapter.name);
  const watch = new GroupWatch(ctx, await ctx.lockWatch?.(adapter.name));
  try {
    await new SqlGroup(runner, db, ctx, log, watch).run(group);
  } finally {
    await watch.close();
  }
}

class SqlGroup {
  private inFlight: InFlight | undefined;
  private readonly session: readonly string[];

  constructor(
    private readonly engine: SqlRunner,
    private readonly db: Queryable,
    private readonly ctx: ExecuteContext,
    private readonly log: RunLog,
    private readonly watch: GroupWatch,
  ) {
    this.session = [...(engine.session ?? []), ...(ctx.lockRetry ? [lockTimeoutStatement(ctx.lockRetry)] : [])];
  }

  async run(group: PlannedStep[]): Promise<void> {
    for (const step of group) {
      const seq = this.log.nextSeq();
      const prepared = this.ctx.prepared.get(step);
      // Not with afterStep either: the hook must run between this step and the next.
      const pipelined = prepared !== undefined && isOneQuery(prepared) && this.db === this.ctx.journalDb && !this.ctx.lockRetry && !this.ctx.afterStep;
      if (this.inFlight && !pipelined) await this.settleInFlight();
      if (this.log.failed) {
        await this.log.record(notRun(step), new Date(), seq);
        continue;
      }
      const startedAt = new Date();
      let committed = false;
      try {
        if (!prepared) throw new Error(`internal error: ${step.engine} ${step.id} was not prepared before the run`);
        const stepCtx = await this.stepContext(step, seq);
        if (pipelined) await this.sendBehind(step, seq, prepared, stepCtx);
        else {
          await this.runAlone(step, seq, prepared, stepCtx);
          committed = true;
        }
      } catch (error) {
        this.watch.stopped();
        // Before this step could be sent (its history write failed to build): the one in flight
        // is recorded first, in plan order.
        await this.settleInFlight();
        await this.log.record(failedResult(step, startedAt, this.watch.explain(error)), startedAt, seq);
      }
      // Outside the try: the hook's error is not the step's (the step committed).
      if (committed) await this.ctx.afterStep?.(step);
    }
    await this.settleInFlight();
  }

  private async stepContext(step: PlannedStep, seq: number): Promise<SqlStepContext> {
    const history = await this.engine.history(step.migration, step.direction);
    const journalRow = this.log.journalRow(step, seq, this.db);
    return {
      db: this.db,
      history,
      session: this.session,
      log: stepLogger(this.ctx, step.engine, step.id),
      ...(journalRow ? { journalRow } : {}),
      ...(this.ctx.lockRetry ? { lockRetry: this.ctx.lockRetry } : {}),
      ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
    };
  }

  /** Not pipelined: wait for it; a one-query step that timed out on a lock left nothing, so it is tried again. */
  private async runAlone(step: PlannedStep, seq: number, prepared: PreparedSqlStep, stepCtx: SqlStepContext): Promise<void> {
    this.ctx.events.stepStarted?.(step);
    this.watch.started(step);
    const startedAt = new Date();
    let tries = 0;
    const run = () => {
      // Each try waits afresh: watch it from its own start, so its retry line names its own blockers.
      if (tries++ > 0) this.watch.started(step);
      return runSqlStep(prepared, stepCtx);
    };
    const { journaled } = isOneQuery(prepared)
      ? await withLockRetries(this.ctx.lockRetry, run, {
          onRetry: (attempt, delayMs, error) => stepCtx.log.warn(this.watch.retryLine(attempt, delayMs, error)),
          ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
        })
      : await run();
    this.watch.stopped();
    await this.log.record(finished(step, startedAt), startedAt, seq, journaled);
  }

  /** Pipelined: send its query now, behind the one in flight, and record that one meanwhile. */
  private async sendBehind(step: PlannedStep, seq: number, prepared: PreparedSqlStep, stepCtx: SqlStepContext): Promise<void> {
    const behind = this.inFlight;
    const check = behind ? this.ctx.journal.stepCommittedCheckSql(this.ctx.runId, behind.seq) : undefined;
    const flight: InFlight = { step, seq, startedAt: new Date(), sent: sendOneQueryStep(prepared, stepCtx, check) };
    if (behind) {
      await this.settle(behind);
      this.inFlight = undefined;
      if (this.log.failed) {
        await this.settle(flight, true);
        return;
      }
      // It begins on the server now, once the step before it is done.
      flight.startedAt = new Date();
    }
    this.ctx.events.stepStarted?.(step);
    this.watch.started(step);
    this.inFlight = flight;
  }

  private async settleInFlight(): Promise<void> {
    const flight = this.inFlight;
    this.inFlight = undefined;
    if (flight) await this.settle(flight);
  }

  /** Wait for a sent step and record it; `behindFailure`: the step it was queued behind failed. */
  private async settle(flight: InFlight, behindFailure = false): Promise<void> {
    try {
      await flight.sent.settle();
      // Committed in its own query: applied, whatever happened before (its check let it through).
      await this.log.record(finished(flight.step, flight.startedAt), flight.startedAt, flight.seq, true);
    } catch (error) {
      const result = behindFailure ? notRun(flight.step) : failedResult(flight.step, flight.startedAt, this.watch.explain(error));
      await this.log.record(result, flight.startedAt, flight.seq);
    } finally {
      this.watch.stopped();
    }
  }
}

/** The lock watcher of a group's session (lock-watch.ts), told which step runs; inert without one. */
class GroupWatch {
  private current: PlannedStep | undefined;
  constructor(
    ctx: ExecuteContext,
    private readonly watcher: LockWatcher | undefined,
  ) {
    watcher?.onWait((wait) => {
      if (this.current) ctx.events.lockWait?.(this.current, wait);
    });
  }

  started(step: PlannedStep): void {
    this.current = step;
    this.watcher?.started();
  }

  stopped(): void {
    this.watcher?.stopped();
  }

  async close(): Promise<void> {
    await this.watcher?.close();
  }

  /** A lock timeout's error says what the step waited for, as last seen. */
  explain(error: unknown): unknown {
    if (isLockTimeout(error) && this.watcher?.last && error instanceof Error) error.message += ` — it waited for ${describeLockWait(this.watcher.last)}`;
    return error;
  }

  retryLine(attempt: number, delayMs: number, error: Error): string {
    const seen = this.watcher?.last ? `, waiting for ${describeLockWait(this.watcher.last)}` : '';
    return `lock timeout (${error.message}${seen}); try ${attempt + 1} in ${(delayMs / 1000).toFixed(1)}s`;
  }
}
