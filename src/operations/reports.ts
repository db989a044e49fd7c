import type { Plan } from '../plan/plan-types.js';
import type { UpOptions } from '../plan/plan-up.js';
import type { DownOptions } from '../plan/plan-down.js';
import type { StepResult } from '../run/step-result.js';
import type { EngineStatus } from '../status/engine-status.js';

/**
 * What the operations take and return, as types only: the library's public declarations
 * (src/report/documents.ts, src/api/polymigrate.ts) reach these without reaching the session and
 * its database driver, so a consumer's type-check needs no @types/pg.
 */
export interface StatusOptions {
  engines?: string[];
}

export interface StatusReport {
  upToDate: boolean;
  pending: number;
  problems: number;
  engines: EngineStatus[];
}

export interface UpCommandOptions extends UpOptions {
  dryRun?: boolean;
  /** Abort (reason: the signal's name) to stop the run: see RunCommandInput.signal. */
  signal?: AbortSignal;
}

export interface DownCommandOptions extends DownOptions {
  dryRun?: boolean;
  /** Abort (reason: the signal's name) to stop the run: see RunCommandInput.signal. */
  signal?: AbortSignal;
}

export interface RunReport {
  command: 'up' | 'down';
  dryRun: boolean;
  plan: Plan;
  results: StepResult[];
  /**
   * succeeded: every step ran (or nothing to do); failed: a step failed; refused: a rule stopped
   * it; interrupted: the process was told to stop (SIGINT/SIGTERM) and stopped what ran.
   */
  outcome: 'succeeded' | 'failed' | 'refused' | 'planned' | 'interrupted';
  runId?: number;
  /** The signal that interrupted the run. */
  interruptedBy?: string;
}
