/**
 * Trace each pending migration on the shadow, in apply order, the way `up` would run it, and
 * leave its effect there for the next one:
 * - SQL steps (SQL folders, Prisma, Drizzle): the statements of the script `up` would send, in the
 *   step mode the step protocol picks (src/run/step-pipeline.ts), traced statement by statement
 *   and committed (trace.ts);
 * - steps an engine runs itself (Payload): `up` on the shadow runs exactly that migration through
 *   the engine's runtime, and what its client sent, read back from the server's log, is traced again
 *   on a copy of the state before it (trace-engine-step.ts).
 * A traced migration's catalog changes give the objects it creates, alters and drops; for an
 * engine's own run, the schema before and after it does.
 */
import type { MigrationAdapter, Queryable } from '../adapter/contract.js';
import { connect, type DbClient } from '../db/connect.js';
import { InterruptedError } from '../errors.js';
import type { PlannedStep } from '../plan/plan-types.js';
import type { PreparedSqlStep } from '../run/step-pipeline.js';
import { diffSchemas } from '../schema/diff.js';
import { introspectSchema } from '../schema/introspect.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { statementsFromSource } from './statement-shape.js';
import { traceMigration } from './trace.js';
import { traceEngineStep, type ShadowTarget } from './trace-engine-step.js';
import { objectsFromTrace } from './trace-objects.js';
import type { MigrationTrace, PlannedMigration, TraceOptions } from './types.js';

export type { ShadowTarget } from './trace-engine-step.js';

type PlannedObjects = NonNullable<PlannedMigration['objects']>;

/** The traced migrations, in apply order; tracing stops after the first that fails. */
export async function tracePending(
  target: ShadowTarget,
  steps: PlannedStep[],
  prepared: Map<PlannedStep, PreparedSqlStep>,
): Promise<{ planned: PlannedMigration[]; untraced: PlannedStep[] }> {
  const trace = new TraceConnection(target);
  const planned: PlannedMigration[] = [];
  // The catalog as the last traced migration committed it: the next one starts from it (trace.ts).
  const carry: NonNullable<TraceOptions['carry']> = {};
  try {
    for (const [index, step] of steps.entries()) {
      // Between migrations, as up stops between steps: Ctrl-C ends the plan (the shadow is dropped).
      trace.stopIfInterrupted();
      const adapter = target.adapters.get(step.engine)!;
      const sqlStep = prepared.get(step);
      planned.push(await trace.interruptible(() => (sqlStep ? traceSqlStep(trace.db, adapter, step, sqlStep, carry) : traceOwnRun(trace, adapter, step, carry))));
      if (planned.at(-1)!.trace.outcome === 'failed') return { planned, untraced: steps.slice(index + 1) };
    }
    return { planned, untraced: [] };
  } finally {
    await trace.close();
  }
}

/**
 * The trace's own session on the shadow database. Ctrl-C ends it on the server (from a session of
 * its own, as `up` ends its step sessions): the statement being traced stops at once — a backfill,
 * a wait — instead of running to its end; the shadow is dropped afterwards anyway.
 */
class TraceConnection {
  db!: DbClient;
  private readonly opening: Promise<void>;
  private readonly onAbort = () => void this.terminate();

  constructor(readonly target: ShadowTarget) {
    this.opening = this.reconnect();
    target.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async reconnect(): Promise<void> {
    this.db = await connect(this.target.databaseUrl, { purpose: 'plan trace' });
  }

  stopIfInterrupted(): void {
    const { signal } = this.target;
    if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'SIGINT'), 'while plan traced the pending migrations');
  }

  /** Run `work`; an error it throws because the session was ended by Ctrl-C is the interrupt. */
  async interruptible<T>(work: () => Promise<T>): Promise<T> {
    await this.opening;
    try {
      return await work();
    } catch (error) {
      this.stopIfInterrupted();
      throw error;
    }
  }

  private async terminate(): Promise<void> {
    const pid = (this.db as { processID?: number } | undefined)?.processID;
    if (!pid) return;
    try {
      const other = await connect(this.target.databaseUrl, { purpose: 'interrupt' });
      await other.query('SELECT pg_terminate_backend($1)', [pid]).finally(() => other.end().catch(() => undefined));
    } catch {
      // The session ends with the shadow database when the plan drops it.
    }
  }

  async close(): Promise<void> {
    this.target.signal?.removeEventListener('abort', this.onAbort);
    await this.opening.catch(() => undefined);
    await this.db?.end().catch(() => undefined);
  }
}

/** What an engine's own run did: the schema before and after it (objects), and its statements traced (trace-engine-step.ts). */
async function traceOwnRun(trace: TraceConnection, adapter: MigrationAdapter, step: PlannedStep, carry: NonNullable<TraceOptions['carry']>): Promise<PlannedMigration> {
  const { target } = trace;
  delete carry.observation; // it changes the catalog on connections of its own
  const before = await introspectSchema(trace.db, { exclude: target.exclude });
  await trace.db.end(); // traceEngineStep copies the database first: no session may be on it
  const traced = await traceEngineStep(target, step);
  await trace.reconnect();
  return plannedMigration(adapter, step, traced, objectsBetween(before, await introspectSchema(trace.db, { exclude: target.exclude })));
}

async function traceSqlStep(db: Queryable, adapter: MigrationAdapter, step: PlannedStep, prepared: PreparedSqlStep, carry: TraceOptions['carry']): Promise<PlannedMigration> {
  const { runner } = adapter;
  const session = runner.granularity === 'sql' ? runner.session : undefined;
  const transactional = prepared.mode === 'transaction' || prepared.mode === 'own-transaction';
  const trace = await traceMigration(
    db,
    {
      engine: step.engine,
      id: step.id,
      transactional,
      ...(transactional ? {} : { commits: prepared.mode === 'row-first' ? ('commit-points' as const) : ('each-statement' as const) }),
      statements: await statementsFromSource(prepared.script.source),
    },
    { commit: true, ...(session ? { session } : {}), ...(carry ? { carry } : {}) },
  );
  return plannedMigration(adapter, step, trace, objectsFromTrace(trace));
}

function objectsBetween(before: SchemaModel, after: SchemaModel): PlannedObjects {
  const objects: PlannedObjects = { created: [], altered: [], dropped: [] };
  for (const difference of diffSchemas(before, after)) {
    const name = `${difference.objectKind} ${difference.object}`;
    if (difference.kind === 'unexpected') objects.created.push(name);
    else if (difference.kind === 'missing') objects.dropped.push(name);
    else objects.altered.push(name);
  }
  return objects;
}

function plannedMigration(adapter: MigrationAdapter, step: PlannedStep, trace: MigrationTrace, objects: PlannedObjects): PlannedMigration {
  const strategy = adapter.capabilities.rollback === 'native' ? 'native' : step.migration.hasDown ? 'down-file' : 'none';
  return {
    engine: step.engine,
    kind: step.kind,
    trace,
    hasDown: step.migration.hasDown,
    objects,
    rollback: { strategy, ...(strategy === 'none' ? { recipe: adapter.rollbackHint(step.migration, step.id) } : {}) },
  };
}
