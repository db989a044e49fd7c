import type { MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { connect } from '../db/connect.js';
import { quoteIdent } from '../db/quote.js';
import { InterruptedError } from '../errors.js';
import { up } from '../operations/up.js';
import type { PlannedStep } from '../plan/plan-types.js';
import { PAYLOAD_APPLICATION_NAME } from '../run/interrupt.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { Session } from '../session.js';
import type { ShadowCopy } from '../shadow/shadow.js';
import { capturedStatements, unobservedTrace } from './captured-log.js';
import { traceMigration } from './trace.js';
import type { MigrationTrace, TraceStatement } from './types.js';

/**
 * A migration its engine runs itself (Payload: its own client, in a child process), traced in
 * three moves:
 * 1. a copy of the shadow database as it is before the migration;
 * 2. the migration run on the shadow by `up` (exactly that one, through the engine's runtime), with
 *    `log_statement` on for the shadow database only: what its client sent is read back from the
 *    embedded server's log (captured-log.ts) — the shadow's state after it is the engine's own doing;
 * 3. the captured statements run again through the trace on the copy, rolled back: every lock,
 *    rewrite and catalog change observed, as for any SQL migration.
 * Without the server's log (a shadowUrl server) nothing can be captured; when running the
 * captured statements again fails where the engine's run did not, the findings come from their
 * text alone (unobservedTrace), and the trace says why.
 */

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
  /** A copy of the shadow database as it is now (no session may be on it). */
  copy?: () => Promise<ShadowCopy>;
}

/** No session of the caller's may be on the shadow database: the copy waits for none. */
export async function traceEngineStep(target: ShadowTarget, step: PlannedStep): Promise<MigrationTrace> {
  const notes: string[] = [];
  const before = target.onLogLine && target.copy ? await copyOrNote(target.copy, notes) : undefined;
  try {
    const { statements, failure } = await runCapturing(target, step);
    if (target.signal?.aborted) throw new InterruptedError(String(target.signal.reason ?? 'SIGINT'), 'while plan ran a migration its engine runs itself');
    const migration = { engine: step.engine, id: step.id, transactional: step.migration.transactional, statements };
    if (!target.onLogLine) {
      notes.push("the shadow runs on a server of yours (shadowUrl), whose log polymigrate cannot read: this migration's SQL was not analysed");
      return withFailure(await unobservedTrace(migration), notes, failure);
    }
    const replayed = before ? await replayCaptured(before, migration) : undefined;
    if (replayed && (replayed.outcome === 'ok' || failure)) return withFailure(replayed, notes, failure);
    if (replayed) notes.push(`running what ${step.engine} sent again on the state before it failed (${failedNote(replayed)}) where ${step.engine}'s own run did not`);
    return withFailure(await unobservedTrace(migration), notes, failure);
  } finally {
    await before?.drop().catch(() => undefined);
  }
}

/** The state before the migration; without it (a copy that failed) the findings come from the SQL text alone. */
async function copyOrNote(copy: () => Promise<ShadowCopy>, notes: string[]): Promise<ShadowCopy | undefined> {
  try {
    return await copy();
  } catch (error) {
    notes.push(`the shadow database could not be copied to run what the engine sent again (${(error as Error).message})`);
    return undefined;
  }
}

async function replayCaptured(before: ShadowCopy, migration: { engine: string; id: string; transactional: boolean; statements: TraceStatement[] }): Promise<MigrationTrace> {
  const db = await connect(before.databaseUrl, { purpose: 'plan trace' });
  try {
    const trace = await traceMigration(db, migration);
    trace.notes.unshift(`what ${migration.engine} sent to the shadow (captured from the server's log), run again on a copy of the state before it`);
    return trace;
  } finally {
    await db.end().catch(() => undefined);
  }
}

function failedNote(trace: MigrationTrace): string {
  const failed = trace.statements.find((s) => s.outcome === 'failed');
  return failed?.error ? `statement ${failed.index + 1}: ${failed.error.message}` : 'a statement failed';
}

function withFailure(trace: MigrationTrace, notes: string[], failure: string | undefined): MigrationTrace {
  const all = [...trace.notes, ...notes, ...(failure ? [`it failed in the shadow: ${failure}`] : [])];
  return failure ? { ...trace, outcome: 'failed', notes: all } : { ...trace, notes: all };
}

/** The application name the engine's own sessions carry (BatchRunner.ownSessions; Payload's by default). */
function sessionsOf(target: ShadowTarget, step: PlannedStep): string {
  const { runner } = target.adapters.get(step.engine)!;
  return (runner.granularity === 'batch' ? runner.ownSessions?.applicationName : undefined) ?? PAYLOAD_APPLICATION_NAME;
}

/** `up` of exactly this migration on the shadow, and the statements its engine's sessions sent (when the log can be read). */
async function runCapturing(target: ShadowTarget, step: PlannedStep): Promise<{ statements: TraceStatement[]; failure: string | undefined }> {
  const lines: string[] = [];
  const stop = target.onLogLine?.((line) => lines.push(line));
  const admin = stop ? await connect(target.databaseUrl, { purpose: 'plan trace' }) : undefined;
  try {
    if (admin) await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} SET log_statement = 'all'`);
    const report = await runOneStep(target, step);
    if (admin) await waitForMarker(target.databaseUrl, lines);
    const failed = report.results.find((r) => r.status === 'failed');
    return {
      statements: capturedStatements(linesOf(lines, sessionsOf(target, step)), { file: step.migration.path }),
      failure: failed ? (failed.error?.message ?? 'failed') : undefined,
    };
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
    // With the signal, Ctrl-C ends the engine's run the way it ends `up`'s (its child and sessions stopped).
    return await up(session, target.signal ? { signal: target.signal } : {}, { only: new Map([[step.engine, new Set([step.id])]]) });
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
