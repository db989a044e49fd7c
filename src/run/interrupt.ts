import type { Queryable } from '../adapter/contract.js';
import { applicationName, connect } from '../db/connect.js';
import type { Journal } from '../journal/journal.js';
import type { StepResult } from './step-result.js';

/**
 * Stopping a run when the process is told to (SIGINT, SIGTERM): the step protocol's invariant 5,
 * nothing commits after the signal.
 *
 * A cancel request is not enough: PostgreSQL ignores one that arrives between two queries, and a
 * step pipelined behind the cancelled one would then run to its COMMIT. So the sessions that run
 * steps are terminated (pg_terminate_backend) from a session that runs none — the lock session,
 * or a new one on an engine's own database: the running statement and anything queued behind it
 * end, and the open transaction rolls back. A Payload child's connections carry the application
 * name PAYLOAD_APPLICATION_NAME, so they end the same way (its process is killed besides). A step
 * whose COMMIT reached the server before the signal stays committed; what did is read back from
 * the journal, which commits in the step's own transaction (settleInterruptedResults).
 */
export const PAYLOAD_APPLICATION_NAME = applicationName('payload');

export interface StepSession {
  url: string;
  /** The backend's process id (pg.Client.processID). */
  pid: number;
}

/** End every step session of the run, and a Payload child's, on the server. Never throws. */
export async function terminateStepSessions(sessions: StepSession[], main: { url: string; lockDb: Queryable }): Promise<void> {
  const byUrl = new Map<string, number[]>([[main.url, []]]);
  for (const { url, pid } of sessions) byUrl.set(url, [...(byUrl.get(url) ?? []), pid]);
  await Promise.all(
    [...byUrl].map(async ([url, pids]) => {
      const sql = 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE (pid = ANY($1::int[]) OR application_name = $2) AND pid <> pg_backend_pid()';
      try {
        if (url === main.url) {
          await main.lockDb.query(sql, [pids, PAYLOAD_APPLICATION_NAME]);
          return;
        }
        const client = await connect(url, { purpose: 'interrupt' });
        try {
          await client.query(sql, [pids, PAYLOAD_APPLICATION_NAME]);
        } finally {
          await client.end().catch(() => undefined);
        }
      } catch {
        // Nothing more can be done from here: a session we could not reach ends with this process.
      }
    }),
  );
}

/**
 * After an interrupted run: a step recorded as failed or not run may have committed on the server
 * just before its session ended (its journal row commits in its transaction). Read the journal
 * through the lock session, correct the results, and record the run and its interrupted step.
 */
export async function settleInterruptedResults(results: StepResult[], ctx: { journal: Journal; lockDb: Queryable; runId: number; signal: string }): Promise<StepResult[]> {
  const { rows } = await ctx.lockDb.query<{ seq: number }>(`SELECT seq FROM ${ctx.journal.steps} WHERE run_id = $1 AND status IN ('applied', 'reverted')`, [ctx.runId]);
  const committed = new Set(rows.map((r) => Number(r.seq)));
  const settled = results.map((result, index): StepResult => {
    const seq = index + 1;
    if (committed.has(seq)) return { ...result, status: result.direction === 'up' ? 'applied' : 'reverted' };
    if (result.status !== 'failed' && result.status !== 'interrupted') return result;
    return {
      ...result,
      status: 'interrupted',
      error: { message: `interrupted by ${ctx.signal}: polymigrate ended it on the server before it committed; a step that runs in a transaction left nothing` },
    };
  });
  for (const [index, result] of settled.entries()) {
    if (result.status !== 'interrupted') continue;
    await ctx.journal
      .recordStep(ctx.lockDb, ctx.runId, {
        seq: index + 1,
        engine: result.engine,
        migration: result.id,
        direction: result.direction,
        status: 'interrupted',
        startedAt: new Date(),
        durationMs: result.durationMs,
        error: result.error!.message,
      })
      .catch(() => undefined);
  }
  await ctx.journal.finishRun(ctx.lockDb, ctx.runId, 'interrupted').catch(() => undefined);
  return settled;
}
