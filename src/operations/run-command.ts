import { closeAdapter } from '../adapter/close-adapter.js';
import type { MigrationAdapter, Queryable } from '../adapter/contract.js';
import { describeLostConnection, isConnectionLost, type DbClient } from '../db/connect.js';
import { POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY, STEP_GUARD } from '../lock/advisory-lock.js';
import type { Plan } from '../plan/plan-types.js';
import { executePlan } from '../run/execute-plan.js';
import { HeldLocks } from '../lock/held-locks.js';
import { refuseKnownTransactionPooler, refuseTransactionPooler, refuseTransactionPoolerAt } from '../pooler/pooler-check.js';
import { MODE_NOTES, prepareSqlSteps, type PreparedSqlStep } from '../run/step-pipeline.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { StepResult } from '../run/step-result.js';
import { settleInterruptedResults, terminateStepSessions } from '../run/interrupt.js';
import { LockWatcher } from '../run/lock-watch.js';
import { connect as connectDb } from '../db/connect.js';
import { InterruptedError } from '../errors.js';
import type { EngineStatus } from '../status/engine-status.js';
import type { Session } from '../session.js';
import { VERSION } from '../version.js';
import { collectStatus, discoverFiles, readStatuses, type DiscoveredFiles } from './status.js';

export type { RunReport } from './reports.js';
import type { RunReport } from './reports.js';

export interface RunCommandInput {
  command: 'up' | 'down';
  dryRun: boolean;
  /** Journaled with the run. */
  options: Record<string, unknown>;
  /** Engines whose status the plan needs. */
  engines: string[];
  makePlan(statuses: EngineStatus[], adapters: Map<string, MigrationAdapter>): Promise<Plan>;
  /** Aborted (with the signal's name as reason) when the process is told to stop. */
  signal?: AbortSignal;
  /** After each committed step, before the next (ExecuteContext.afterStep). */
  afterStep?: (step: PlannedStep) => Promise<void>;
}

/**
 * The shared shape of up and down: plan from a fresh status read, and — unless it is a dry run —
 * take the lock first, re-read under the lock (another replica may have just finished), journal
 * the run and execute. A dry run never takes the lock and writes nothing, not even the journal.
 */
export async function runCommand(given: Session, input: RunCommandInput): Promise<RunReport> {
  const session = given.forRun();
  const adapters = await session.adapters(input.engines);
  if (input.dryRun) {
    const { plan } = await planAndPrepare(input, await collectStatus(session, input.engines), adapters);
    session.events.planReady?.(plan, true);
    return { command: input.command, dryRun: true, plan, results: [], outcome: 'planned' };
  }

  const warmed: MigrationAdapter[] = [];
  try {
    return await runLocked(session, input, adapters, warmed);
  } finally {
    await Promise.all(warmed.map(closeAdapter));
  }
}

/**
 * The plan, and how each SQL step will run (src/run/step-pipeline.ts): a script that cannot run
 * exactly as written is a refusal, found before anything runs — in a dry run too.
 */
async function planAndPrepare(
  input: RunCommandInput,
  statuses: EngineStatus[],
  adapters: Map<string, MigrationAdapter>,
): Promise<{ plan: Plan; prepared: Map<PlannedStep, PreparedSqlStep> }> {
  const plan = await input.makePlan(statuses, adapters);
  const { prepared, refusals } = await prepareSqlSteps(plan.steps, adapters);
  plan.refusals.push(...refusals);
  for (const [step, { mode }] of prepared) {
    const note = MODE_NOTES[mode];
    if (note && !step.note?.includes(note)) step.note = step.note ? `${step.note}, ${note}` : note;
  }
  return { plan, prepared };
}

/**
 * Engines with a slow start (Payload's child process) begin it as soon as the plan gives them
 * steps, so it overlaps the journal set-up and the steps of the engines before them. Only then:
 * an `up` with nothing to do (most deploys) never loads the engine, and nothing of it runs before
 * the lock is held. Warm-up is a head start only: the engine's first step reports what is wrong.
 */
function warmUp(session: Session, adapters: Map<string, MigrationAdapter>, plan: Plan, warmed: MigrationAdapter[]): void {
  for (const name of new Set(plan.steps.map((step) => step.engine))) {
    const adapter = adapters.get(name)!;
    if (!adapter.warmUp) continue;
    warmed.push(adapter);
    try {
      const lockTimeoutMs = session.lockRetry?.lockTimeoutMs;
      adapter.warmUp({ databaseUrl: session.engineUrl(name), ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });
    } catch {
      // reported by the engine's first step
    }
  }
}

/**
 * The files, and the run's two connections — checked to be sessions of their own, not a
 * transaction-mode pooler's (src/pooler/pooler-check.ts), before any lock is taken.
 */
async function openRun(session: Session, input: RunCommandInput): Promise<{ files: DiscoveredFiles; db: DbClient; lockDb: DbClient }> {
  refuseKnownTransactionPooler(session.databaseUrl);
  // Files first (a file problem is a usage error whether or not the database is up; they do not
  // depend on the lock). Without --wait the connections are opened meanwhile.
  const connect = () => Promise.all([session.db(), session.lockDb()]);
  const connecting = session.waitsForServer ? undefined : connect();
  connecting?.catch(() => undefined); // awaited just below
  const files = await discoverFiles(session, input.engines);
  const [db, lockDb] = await (connecting ?? connect());
  await refuseTransactionPooler(session.databaseUrl, { name: 'the lock connection', db: lockDb }, { name: 'the run connection', db });
  return { files, db, lockDb };
}

async function runLocked(session: Session, input: RunCommandInput, adapters: Map<string, MigrationAdapter>, warmed: MigrationAdapter[]): Promise<RunReport> {
  const { files, db, lockDb } = await openRun(session, input);
  const held = new HeldLocks();
  try {
    await takeRunLocks(session, input, adapters, { held, db, lockDb });
    const { plan, prepared } = await planAndPrepare(input, await readStatuses(session, files), adapters);
    session.events.planReady?.(plan, false);
    // A refusal changes nothing at all, not even the journal.
    if (plan.refusals.length > 0) return { command: input.command, dryRun: false, plan, results: [], outcome: 'refused' };
    throwIfInterrupted(input.signal, 'before any migration ran');
    warmUp(session, adapters, plan, warmed);
    await session.journal.ensure(db);
    const runId = await session.journal.startRun(db, { command: input.command, options: input.options, version: VERSION });
    session.events.runStarted?.(runId);
    const engaged = [...new Set(plan.steps.map((s) => s.engine))];
    for (const name of engaged) await adapters.get(name)!.history.prepare?.(await session.engineDb(name));
    return await execute(session, input, { plan, prepared, adapters, runId, db, lockDb });
  } catch (error) {
    throw isConnectionLost(error) ? describeLostConnection(error as Error, session.databaseUrl) : error;
  } finally {
    await held.release();
  }
}

/**
 * The main lock on its own session; the step guard on every session that runs steps (a run killed
 * mid-step may still be committing that step there, and history must be read only after that — a
 * step's query ends with its COMMIT, src/run/step-pipeline.ts invariant 5); and the engines' own
 * keys (Prisma's), before the status read: otherwise the engine's CLI elsewhere could apply
 * between our read and our steps. Advisory locks stack, so executePlan taking them again is fine.
 */
async function takeRunLocks(
  session: Session,
  input: RunCommandInput,
  adapters: Map<string, MigrationAdapter>,
  { held, db, lockDb }: { held: HeldLocks; db: Queryable; lockDb: Queryable },
): Promise<void> {
  const url = session.databaseUrl;
  const waitStarted = Date.now();
  const waiting = {
    timeoutSeconds: session.lockTimeoutSeconds,
    journal: session.journal,
    ...(session.events.lockWaiting ? { onWait: session.events.lockWaiting.bind(session.events) } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  };
  await held.take(lockDb, url, POLYMIGRATE_LOCK_KEY, waiting);
  await held.take(db, url, POLYMIGRATE_STEP_GUARD_KEY, { ...waiting, lock: STEP_GUARD });
  for (const engine of await session.separateEngineDbs(input.engines)) {
    await refuseTransactionPoolerAt(engine.url, engine.db);
    await held.take(engine.db, engine.url, POLYMIGRATE_STEP_GUARD_KEY, { ...waiting, lock: STEP_GUARD });
  }
  session.events.lockAcquired?.(Date.now() - waitStarted);
  for (const adapter of adapters.values()) {
    for (const key of adapter.capabilities.lockKeys ?? []) {
      await held.take(lockDb, url, key, { timeoutSeconds: session.lockTimeoutSeconds, ...(input.signal ? { signal: input.signal } : {}) });
    }
  }
}

function throwIfInterrupted(signal: AbortSignal | undefined, when: string): void {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'SIGINT'), when);
}

/**
 * What a step session waits for, reported once it has waited a few seconds (a quarter of
 * --ddl-lock-timeout when that is shorter, so a timeout's error can name the blockers).
 */
async function lockWatcherFor(session: Session, engine: string, sessions?: { applicationName: string }): Promise<LockWatcher | undefined> {
  const url = session.engineUrl(engine);
  const pid = sessions ? undefined : ((await session.engineDb(engine)) as { processID?: number }).processID;
  if (!sessions && !pid) return undefined;
  const timeoutMs = session.lockRetry?.lockTimeoutMs;
  return new LockWatcher(sessions ?? pid!, {
    connect: () => connectDb(url, { purpose: 'watch' }),
    firstMs: Math.min(3_000, timeoutMs !== undefined ? Math.max(100, timeoutMs / 4) : 3_000),
    repeatMs: 10_000,
    eager: timeoutMs !== undefined,
  });
}

interface Execution {
  plan: Plan;
  prepared: Map<PlannedStep, PreparedSqlStep>;
  adapters: Map<string, MigrationAdapter>;
  runId: number;
  db: Queryable;
  lockDb: Queryable;
}

/**
 * Run the plan's steps. When the process is told to stop meanwhile, the sessions that run steps
 * are ended on the server at once (src/run/interrupt.ts), the loop starts nothing more, and the
 * run is recorded as interrupted — with what committed, read back from the journal — on the lock
 * session, which the interruption leaves alone.
 */
async function execute(session: Session, input: RunCommandInput, run: Execution): Promise<RunReport> {
  const { signal } = input;
  const stepSessions = await session.stepSessions([...new Set(run.plan.steps.map((s) => s.engine))]);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping = terminateStepSessions(stepSessions, { url: session.databaseUrl, lockDb: run.lockDb });
  };
  signal?.addEventListener('abort', stop, { once: true });
  let results: StepResult[];
  try {
    results = await executePlan(run.plan.steps, {
      adapters: run.adapters,
      engineDb: (name) => session.engineDb(name),
      engineUrl: (name) => session.engineUrl(name),
      lockDb: run.lockDb,
      lockUrl: session.databaseUrl,
      lockTimeoutSeconds: session.lockTimeoutSeconds,
      journal: session.journal,
      journalDb: run.db,
      runId: run.runId,
      prepared: run.prepared,
      events: session.events,
      ...(signal ? { signal } : {}),
      ...(session.lockRetry ? { lockRetry: session.lockRetry } : {}),
      lockWatch: (engine, sessions) => lockWatcherFor(session, engine, sessions),
      ...(input.afterStep ? { afterStep: input.afterStep } : {}),
    });
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  const report = { command: input.command, dryRun: false, plan: run.plan, runId: run.runId };
  if (signal?.aborted) {
    await stopping;
    const settled = await settleInterruptedResults(results, { journal: session.journal, lockDb: run.lockDb, runId: run.runId, signal: String(signal.reason ?? 'SIGINT') });
    return { ...report, results: settled, outcome: 'interrupted', interruptedBy: String(signal.reason ?? 'SIGINT') };
  }
  const outcome = results.some((r) => r.status === 'failed') ? 'failed' : 'succeeded';
  await session.journal.finishRun(run.db, run.runId, outcome).catch(() => undefined);
  return { ...report, results, outcome };
}
