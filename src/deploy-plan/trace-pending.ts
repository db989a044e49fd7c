/**
 * Trace each pending migration on the shadow, in apply order, the way `up` would run it, and
 * leave its effect there for the next one:
 * - SQL steps (SQL folders, Prisma, Drizzle): the statements of the script `up` would send, in the
 *   step mode the step protocol picks (src/run/step-pipeline.ts), traced statement by statement
 *   and committed (trace.ts);
 * - steps an engine runs itself (Payload): `up` on the shadow runs exactly that migration through
 *   the engine's runtime, with `log_statement` on for the shadow database only; the SQL its client
 *   sent is read back from the embedded server's log (captured-log.ts) and analysed from its text.
 * A traced migration's catalog changes give the objects it creates, alters and drops; for an
 * engine's own run, the schema before and after it does.
 */
import type { MigrationAdapter, Queryable } from '../adapter/contract.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { connect } from '../db/connect.js';
import { InterruptedError } from '../errors.js';
import { quoteIdent } from '../db/quote.js';
import { up } from '../operations/up.js';
import type { PlannedStep } from '../plan/plan-types.js';
import { PAYLOAD_APPLICATION_NAME } from '../run/interrupt.js';
import type { PreparedSqlStep } from '../run/step-pipeline.js';
import { diffSchemas } from '../schema/diff.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { introspectSchema } from '../schema/introspect.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { Session } from '../session.js';
import { capturedStatements, unobservedTrace } from './captured-log.js';
import { statementsFromSource } from './statement-shape.js';
import { traceMigration } from './trace.js';
import { objectsFromTrace } from './trace-objects.js';
import type { MigrationTrace, PlannedMigration, TraceOptions } from './types.js';

type PlannedObjects = NonNullable<PlannedMigration['objects']>;

export interface ShadowTarget {
  /** The shadow database, at the live database's applied state. */
  databaseUrl: string;
  database: string;
  /** The shadow's config (every engine on the shadow database). */
  config: ResolvedConfig;
  adapters: Map<string, MigrationAdapter>;
  exclude: SchemaExclusions;
  /** Stops the trace between migrations (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** The embedded server's log; undefined on a user's server (Payload's SQL cannot be read then). */
  onLogLine: ((listener: (line: string) => void) => () => void) | undefined;
}

/** The traced migrations, in apply order; tracing stops after the first that fails. */
export async function tracePending(
  target: ShadowTarget,
  steps: PlannedStep[],
  prepared: Map<PlannedStep, PreparedSqlStep>,
): Promise<{ planned: PlannedMigration[]; untraced: PlannedStep[] }> {
  const db = await connect(target.databaseUrl, { purpose: 'plan trace' });
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
        // An engine's own run is not observed statement by statement: the schema before and after says what it did.
        delete carry.observation; // it changes the catalog on connections of its own
        const before = await introspectSchema(db, { exclude: target.exclude });
        const trace = await traceEngineStep(target, step);
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

/**
 * A migration its engine runs itself: run it in the shadow with `up` (exactly that one), reading
 * what its client sent from the server's log.
 */
async function traceEngineStep(target: ShadowTarget, step: PlannedStep): Promise<MigrationTrace> {
  const lines: string[] = [];
  const stop = target.onLogLine?.((line) => lines.push(line));
  const admin = stop ? await connect(target.databaseUrl, { purpose: 'plan trace' }) : undefined;
  try {
    if (admin) await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} SET log_statement = 'all'`);
    const report = await runOneStep(target, step);
    if (admin) await waitForMarker(target.databaseUrl, lines);
    const failed = report.results.find((r) => r.status === 'failed');
    const statements = capturedStatements(linesOf(lines, PAYLOAD_APPLICATION_NAME), { file: step.migration.path });
    const trace = await unobservedTrace({ engine: step.engine, id: step.id, transactional: step.migration.transactional, statements });
    if (!admin) trace.notes.push("the shadow runs on a server of yours (shadowUrl), whose log polymigrate cannot read: this migration's SQL was not analysed");
    if (failed) return { ...trace, outcome: 'failed', notes: [...trace.notes, `it failed in the shadow: ${failed.error?.message ?? 'failed'}`] };
    return trace;
  } finally {
    stop?.();
    if (admin) {
      await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} RESET log_statement`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
  }
}

async function runOneStep(target: ShadowTarget, step: PlannedStep) {
  const session = new Session({ config: { ...target.config, databaseUrl: target.databaseUrl }, databaseUrl: target.databaseUrl }, new Map(target.adapters));
  try {
    return await up(session, {}, { only: new Map([[step.engine, new Set([step.id])]]) });
  } finally {
    await session.close();
  }
}

/**
 * The log arrives through a pipe, after the statements ran: a statement of our own, sent last on a
 * new session (which logs, by the database's setting), marks where the engine's lines end.
 */
async function waitForMarker(url: string, lines: string[]): Promise<void> {
  const marker = `polymigrate plan marker ${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const session = await connect(url, { purpose: 'plan trace' });
  try {
    await session.query(`SELECT ${quoteLiteral(marker)}`);
  } finally {
    await session.end().catch(() => undefined);
  }
  const deadline = Date.now() + 30_000;
  while (!lines.some((line) => line.includes(marker))) {
    if (Date.now() > deadline) throw new Error("internal: the shadow server's log did not show the end of the captured migration within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The lines of sessions with this application name, each entry with its continuation lines. */
function linesOf(lines: string[], applicationName: string): string[] {
  const kept: string[] = [];
  let keeping = false;
  for (const line of lines) {
    if (line.startsWith('\t')) {
      if (keeping) kept.push(line);
      continue;
    }
    keeping = line.includes(` ${applicationName} `);
    if (keeping) kept.push(line);
  }
  return kept;
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
