import { ExitCode, PolymigrateError } from '../errors.js';
import { redactSecrets } from '../secrets/secret-registry.js';

/** The one place that turns any error into a message and an exit code. */
export function toReportableError(error: unknown): { message: string; hint?: string; exitCode: ExitCode } {
  if (error instanceof PolymigrateError) {
    return { message: redactSecrets(error.message), ...(error.hint ? { hint: redactSecrets(error.hint) } : {}), exitCode: error.exitCode };
  }
  const err = error as Error & { code?: string };
  // A connection lost mid-run, or anything unexpected: a runtime failure.
  return { message: redactSecrets(err?.message ?? String(error)), exitCode: ExitCode.failure };
}
