import type { PlannedStep } from '../plan/plan-types.js';
import type { StepResult } from './step-result.js';
import type { LockWait } from './lock-watch.js';

/** Progress of a run, for the CLI's output and the library's event listeners. */
import type { Plan } from '../plan/plan-types.js';

export interface RunEvents {
  /** The plan, before anything runs (for a dry run: instead of running). */
  planReady?(plan: Plan, dryRun: boolean): void;
  /** `waitingFor`: which lock ("the migration lock", or the step guard with what holds it). */
  lockWaiting?(holder: string, waitingFor: string): void;
  lockAcquired?(waitedMs: number): void;
  /** The run is recorded in the journal: its id (polymigrate.runs.id) names it from here on. */
  runStarted?(runId: number): void;
  stepStarted?(step: PlannedStep): void;
  stepFinished?(result: StepResult): void;
  /** A line an engine printed while running a step. */
  engineOutput?(step: { engine: string; id?: string }, level: 'info' | 'warn', message: string): void;
  retrying?(attempt: number, delayMs: number, error: Error): void;
  /** A step has waited on a lock for a while: what it waits for and who blocks it (repeated while it waits). */
  lockWait?(step: PlannedStep, wait: LockWait): void;
}
