import type { StepResult } from '../../run/step-result.js';

/**
 * When `up`/`down` show one live progress line instead of a line per step, and which steps still
 * leave a line behind. Kept apart from the renderer (live-progress.ts) so that deciding costs no
 * module load: the renderer is imported only once a run qualifies.
 */

/** A run of more steps than this gets the live line; a short run prints its few lines as always. */
export const LIVE_PROGRESS_MIN_STEPS = 20;

/**
 * A step that took at least this long leaves its line behind. An absolute bound rather than a
 * multiple of the median: "over a second" is what a person notices and can look for again, and
 * it does not depend on how fast the steps before it happened to be on a busy machine.
 */
export const SLOW_STEP_MS = 1000;

export interface ProgressEnvironment {
  /** The stream step lines go to (stdout): the live line is drawn there. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  json: boolean;
  logFormat: 'pretty' | 'json' | undefined;
}

/**
 * A live line only for a person at a terminal: never when the output is piped or logged
 * (CI sets `CI`, and some CI runners give the process a pseudo-terminal), never for JSON output,
 * `NO_COLOR` or a terminal that cannot move its cursor (`TERM=dumb`). Everywhere else the output
 * stays one line per step, byte for byte as before.
 */
export function wantsLiveProgress(steps: number, where: ProgressEnvironment): boolean {
  const { env } = where;
  return (
    steps > LIVE_PROGRESS_MIN_STEPS &&
    where.isTTY &&
    !where.json &&
    where.logFormat !== 'json' &&
    !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') &&
    env.TERM !== 'dumb' &&
    !(env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0')
  );
}

/** A step whose line stays on screen under the live line: it failed, was stopped, or was slow. */
export function leavesRecord(result: StepResult): boolean {
  if (result.status === 'failed' || result.status === 'interrupted') return true;
  return result.status !== 'not-run' && result.durationMs >= SLOW_STEP_MS;
}
