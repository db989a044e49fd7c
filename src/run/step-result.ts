import type { Direction } from '../adapter/contract.js';
import { redactSecrets } from '../secrets/secret-registry.js';
import { SqlScriptError } from '../db/run-sql-script.js';

/** 'interrupted': the run was told to stop (SIGINT/SIGTERM) while this step ran; it did not commit. */
export type StepOutcome = 'applied' | 'reverted' | 'failed' | 'not-run' | 'interrupted';

/** The result of one planned step: partial progress is always reported, never hidden. */
export interface StepResult {
  engine: string;
  kind: string;
  id: string;
  direction: Direction;
  status: StepOutcome;
  durationMs: number;
  error?: StepErrorInfo;
}

export interface StepErrorInfo {
  message: string;
  code?: string;
  file?: string;
  line?: number;
  column?: number;
  detail?: string;
  hint?: string;
}

export function describeStepError(error: unknown): StepErrorInfo {
  const err = error as Error & { code?: string; detail?: string; hint?: string };
  const info: StepErrorInfo = { message: redactSecrets(err?.message ?? String(error)) };
  if (typeof err.code === 'string') info.code = err.code;
  if (err.detail) info.detail = redactSecrets(err.detail);
  if (err.hint) info.hint = redactSecrets(err.hint);
  if (error instanceof SqlScriptError) {
    info.file = error.file;
    if (error.line !== undefined) info.line = error.line;
    if (error.column !== undefined) info.column = error.column;
  }
  return info;
}

/** "auth: up 20260101_users failed: relation "x" already exists (at file:3:14)" */
export function stepFailureMessage(result: StepResult): string {
  return `${result.engine}: ${result.direction} ${result.id} failed: ${result.error?.message ?? 'unknown error'}`;
}
