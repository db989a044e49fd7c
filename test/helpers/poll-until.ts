import { budget, STEP_MS } from './time-budget.js';

/**
 * Observe until `probe` returns something other than undefined/false (then return it), checking
 * every `intervalMs`. The interval only spaces the checks: what ends the wait is what the probe
 * sees (a row, a lock in pg_locks, a line of output), never the time that passed. After
 * `timeoutMs` it fails naming `what` it waited for (and `detail()` when given, e.g. the output so far).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? budget(STEP_MS.cli);
  const started = Date.now();
  for (;;) {
    const seen = await probe();
    if (seen !== undefined && seen !== false) return seen;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Gave up after ${Date.now() - started} ms waiting for ${what}${options.detail ? `\n${options.detail()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
