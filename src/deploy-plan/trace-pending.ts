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
import { connect } from '../db/connect.js';
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
  let db = await connect(target.databaseUrl, { purpose: 'plan trace' });
  const planned: PlannedMigration[] = [];
  // The catalog as the last traced migration committed it: the next one starts from it (trace.ts).
  const carry: NonNullable<TraceOptions['carry']> = {};
  try {
    for (const [index, step] of steps.entries()) {
      // Between migrations, as up stops between steps: Ctrl-C ends the plan (the shadow is dropped).
      if (target.signal?.aborted) throw new InterruptedError(String(target.signal.reason ?? 'SIGINT'), 'while plan traced the pending migrations');
      const adapter = target.adapters.get(step.engine)!;
      const sqlStep = prepared.get(step);
      if (sqlStep) {
        const trace = await traceSqlStep(db, adapter, step, sqlStep, carry);
        planned.push(plannedMigration(adapter, step, trace, objectsFromTrace(trace)));
      } else {
        // What an engine's own run did to the schema: the schema before and after it.
        delete carry.observation; // it changes the catalog on connections of its own
        const before = await introspectSchema(db, { exclude: target.exclude });
        await db.end(); // traceEngineStep copies the database first: no session may be on it
        const trace = await traceEngineStep(target, step);
        db = await connect(target.databaseUrl, { purpose: 'plan trace' });
        planned.push(plannedMigration(adapter, step, trace, objectsBetween(before, await introspectSchema(db, { exclude: target.exclude }))));
      }
      if (planned.at(-1)!.trace.outcome === 'failed') return { planned, untraced: steps.slice(index + 1) };
    }
    return { planned, untraced: [] };
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function traceSqlStep(db: Queryable, adapter: MigrationAdapter, step: PlannedStep, prepared: PreparedSqlStep, carry: TraceOptions['carry']): Promise<MigrationTrace> {
  const { runner } = adapter;
  const session = runner.granularity === 'sql' ? runner.session : undefined;
  const transactional = prepared.mode === 'transaction' || prepared.mode === 'own-transaction';
  return traceMigration(
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
