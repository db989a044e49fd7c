import type { Queryable, StepLogger } from '../adapter/contract.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { ExecuteContext } from './execute-plan.js';
import { describeStepError, type StepResult } from './step-result.js';
import { redactSecrets } from '../secrets/secret-registry.js';

/** The results so far, the journal writes, and whether a step failed. */
export class RunLog {
  readonly results: StepResult[] = [];
  private anyFailed = false;
  /** Journal sequence number: the step's position in the plan. */
  private seq = 0;
  constructor(private readonly ctx: ExecuteContext) {}

  /** A step failed, or the run was told to stop: no further step starts. */
  get failed(): boolean {
    return this.anyFailed || this.ctx.signal?.aborted === true;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** `journaled`: the step's journal row was already written inside its own transaction. */
  async record(result: StepResult, startedAt: Date, seq: number, journaled = false): Promise<void> {
    // A step that fails once the run was told to stop was stopped by it (its session was ended).
    if (result.status === 'failed' && this.ctx.signal?.aborted) result = { ...result, status: 'interrupted' };
    if (result.status === 'failed') this.anyFailed = true;
    this.results.push(result);
    this.ctx.events.stepFinished?.(result);
    if (result.status === 'not-run' || journaled) return;
    const writing = this.ctx.journal.recordStep(this.ctx.journalDb, this.ctx.runId, {
      seq,
      engine: result.engine,
      migration: result.id,
      direction: result.direction,
      // Only steps that ran are journaled (not-run returned above).
      status: result.status,
      startedAt,
      durationMs: result.durationMs,
      ...(result.error ? { error: result.error.message } : {}),
    });
    // Interrupted, the step session is gone: the caller journals the run's end on the lock session.
    if (this.ctx.signal?.aborted) await writing.catch(() => undefined);
    else await writing;
  }

  /** The journal row of a step that succeeds, as SQL to commit with it — when it shares the journal's database. */
  journalRow(step: PlannedStep, seq: number, db: Queryable): string | undefined {
    if (db !== this.ctx.journalDb) return undefined;
    return this.ctx.journal.stepRowSql(this.ctx.runId, {
      seq,
      engine: step.engine,
      migration: step.id,
      direction: step.direction,
      status: finishedStatus(step),
    });
  }
}

/** An engine's own output, redacted here so that no listener (CLI or library) ever gets a secret. */
export function stepLogger(ctx: ExecuteContext, engine: string, id?: string): StepLogger {
  const where = { engine, ...(id ? { id } : {}) };
  return {
    info: (message) => ctx.events.engineOutput?.(where, 'info', redactSecrets(message)),
    warn: (message) => ctx.events.engineOutput?.(where, 'warn', redactSecrets(message)),
  };
}

export function finishedStatus(step: PlannedStep): 'applied' | 'reverted' {
  return step.direction === 'up' ? 'applied' : 'reverted';
}

export function finished(step: PlannedStep, startedAt: Date): StepResult {
  return {
    engine: step.engine,
    kind: step.kind,
    id: step.id,
    direction: step.direction,
    status: finishedStatus(step),
    durationMs: Date.now() - startedAt.getTime(),
  };
}

export function failedResult(step: PlannedStep, startedAt: Date, error: unknown): StepResult {
  return {
    engine: step.engine,
    kind: step.kind,
    id: step.id,
    direction: step.direction,
    status: 'failed',
    durationMs: Date.now() - startedAt.getTime(),
    error: describeStepError(error ?? new Error('step failed')),
  };
}

export function notRun(step: PlannedStep): StepResult {
  return { engine: step.engine, kind: step.kind, id: step.id, direction: step.direction, status: 'not-run', durationMs: 0 };
}
