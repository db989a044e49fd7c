import { backoffDelay, sleep } from '../db/backoff.js';

/**
 * `--ddl-lock-timeout` / `--ddl-retries`: a migration that cannot get its lock within the timeout
 * fails with lock_not_available (55P03) — PostgreSQL then has rolled back what that attempt did —
 * and is tried again after a backoff with jitter, so a deploy that meets a long reader gives way
 * to the application instead of queueing every read of the table behind its ALTER.
 */
export interface LockRetryPolicy {
  /** lock_timeout for each migration's statements, in milliseconds. */
  lockTimeoutMs: number;
  /** How many times a migration (or a statement run on its own) is tried again. */
  retries: number;
}

export const LOCK_NOT_AVAILABLE = '55P03';

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === LOCK_NOT_AVAILABLE;
}

/** The session statement that bounds every lock wait of the migrations that follow it. */
export function lockTimeoutStatement(policy: LockRetryPolicy): string {
  return `SET lock_timeout = '${Math.max(1, Math.round(policy.lockTimeoutMs))}ms'`;
}

/**
 * Run `attempt` until it succeeds, fails with something other than a lock timeout, or the retries
 * are used up; `canRetry` may veto a retry after looking at what the failed attempt left.
 */
export async function withLockRetries<T>(
  policy: LockRetryPolicy | undefined,
  attempt: () => Promise<T>,
  options: { onRetry(attempt: number, delayMs: number, error: Error): void; canRetry?(error: Error): Promise<boolean>; signal?: AbortSignal },
): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      const retry = policy !== undefined && tries <= policy.retries && isLockTimeout(error) && !options.signal?.aborted && (!options.canRetry || (await options.canRetry(error as Error)));
      if (!retry) throw error;
      const delay = backoffDelay(tries, 500, 15_000);
      options.onRetry(tries, delay, error as Error);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
