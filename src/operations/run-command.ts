import type { MigrationAdapter, Queryable } from '../adapter/contract.js';
import { describeLostConnection, isConnectionLost, type DbClient } from '../db/connect.js';
import { acquireAdvisoryLock, POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY, releaseAdvisoryLock, STEP_GUARD } from '../lock/advisory-lock.js';
import type { Plan } from '../plan/plan-types.js';
import { executePlan } from '../run/execute-plan.js';
import { freeStrandedKeys } from '../lock/stranded-locks.js';
import { refuseKnownTransactionPooler, refuseTransactionPooler, refuseTransactionPoolerAt } from '../pooler/pooler-check.js';
import { MODE_NOTES, prepareSqlSteps, type PreparedSqlStep } from '../run/step-pipeline.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { StepResult } from '../run/step-result.js';
import type { EngineStatus } from '../status/engine-status.js';
import type { Session } from '../session.js';
import { VERSION } from '../version.js';
import { collectStatus, discoverFiles, readStatuses, type DiscoveredFiles } from './status.js';

export interface RunReport {
  command: 'up' | 'down';
  dryRun: boolean;
  plan: Plan;
  results: StepResult[];
  /** succeeded: every step ran (or nothing to do); failed: a step failed; refused: a rule stopped it. */
  outcome: 'succeeded' | 'failed' | 'refused' | 'planned';
  runId?: number;
}

export interface RunCommandInput {
  command: 'up' | 'down';
  dryRun: boolean;
  /** Journaled with the run. */
  options: Record<string, unknown>;
  /** Engines whose status the plan needs. */
  engines: string[];
  makePlan(statuses: EngineStatus[], adapters: Map<string, MigrationAdapter>): Promise<Plan>;
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
    await Promise.all(warmed.map((adapter) => adapter.close?.().catch(() => undefined)));
  }
}

/**
 * The plan, and how each SQL step will run (src/run/step-pipeline.ts): a script that cannot run
 * exactly as written is a refusal, found before anything runs — in a dry run too.
 */
async function planAndPrepare(
  input: RunCommandInput, statuses: EngineStatus[], adapters: Map<string, MigrationAdapter>,
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
      adapter.warmUp({ databaseUrl: session.engineUrl(name) });
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
  const waitStarted = Date.now();
  const waiting = {
    timeoutSeconds: session.lockTimeoutSeconds,
    journal: session.journal,
    ...(session.events.lockWaiting ? { onWait: session.events.lockWaiting } : {}),
  };
  await acquireAdvisoryLock(lockDb, POLYMIGRATE_LOCK_KEY, waiting);
  // Engines' own keys (Prisma's) are taken before the status read, not just around their steps:
  // otherwise the engine's CLI elsewhere could apply between our read and our steps, and we would
  // apply its migrations a second time. Advisory locks stack, so executePlan taking them again is fine.
  const engineKeys: bigint[] = [];
  const guarded: Array<{ url: string; db: Queryable }> = [];
  try {
    // The step guard, on the session that runs the steps: a run killed mid-step may still be
    // committing that step there, and its history must be read only after that.
    await acquireAdvisoryLock(db, POLYMIGRATE_STEP_GUARD_KEY, { ...waiting, lock: STEP_GUARD });
    // Every session that runs steps holds it (an engine on a database of its own has one there):
    // a step's query ends with its COMMIT (src/run/step-pipeline.ts, invariant 5).
    for (const engine of await session.separateEngineDbs(input.engines)) {
      await refuseTransactionPoolerAt(engine.url, engine.db);
      guarded.push(engine);
      await acquireAdvisoryLock(engine.db, POLYMIGRATE_STEP_GUARD_KEY, { ...waiting, lock: STEP_GUARD });
    }
    session.events.lockAcquired?.(Date.now() - waitStarted);
    for (const adapter of adapters.values()) {
      for (const key of adapter.capabilities.lockKeys ?? []) {
        await acquireAdvisoryLock(lockDb, key, { timeoutSeconds: session.lockTimeoutSeconds });
        engineKeys.push(key);
      }
    }
    const { plan, prepared } = await planAndPrepare(input, await readStatuses(session, files), adapters);
    session.events.planReady?.(plan, false);
    // A refusal changes nothing at all, not even the journal.
    if (plan.refusals.length > 0) return { command: input.command, dryRun: false, plan, results: [], outcome: 'refused' };
    warmUp(session, adapters, plan, warmed);
    await session.journal.ensure(db);
    const runId = await session.journal.startRun(db, { command: input.command, options: input.options, version: VERSION });
    const engaged = [...new Set(plan.steps.map((s) => s.engine))];
    for (const name of engaged) await adapters.get(name)!.prepare?.(await session.engineDb(name));
    const results = await executePlan(plan.steps, {
      adapters,
      engineDb: (name) => session.engineDb(name),
      engineUrl: (name) => session.engineUrl(name),
      lockDb,
      lockTimeoutSeconds: session.lockTimeoutSeconds,
      journal: session.journal,
      journalDb: db,
      runId,
      prepared,
      events: session.events,
    });
    const outcome = results.some((r) => r.status === 'failed') ? 'failed' : 'succeeded';
    await session.journal.finishRun(db, runId, outcome).catch(() => undefined);
    return { command: input.command, dryRun: false, plan, results, outcome, runId };
  } catch (error) {
    throw isConnectionLost(error) ? describeLostConnection(error as Error, session.databaseUrl) : error;
  } finally {
    for (const key of engineKeys.reverse()) await releaseAdvisoryLock(lockDb, key).catch(() => undefined);
    for (const engine of guarded) await releaseAdvisoryLock(engine.db, POLYMIGRATE_STEP_GUARD_KEY).catch(() => undefined);
    await releaseAdvisoryLock(db, POLYMIGRATE_STEP_GUARD_KEY).catch(() => undefined);
    await releaseAdvisoryLock(lockDb, POLYMIGRATE_LOCK_KEY).catch(() => undefined);
    await freeStrandedKeys([{ url: session.databaseUrl, db: lockDb }, { url: session.databaseUrl, db }, ...guarded]);
  }
}
