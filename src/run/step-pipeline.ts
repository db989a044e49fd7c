import type { BatchRunner, Direction, MigrationAdapter, Queryable, SqlRunner, SqlStepScript, StepHistory, StepLogger } from '../adapter/contract.js';
import { parseScript, PARSER_PG_MAJOR } from '../db/pg-parser.js';
import { lineColumnAtIndex, SqlScriptError } from '../db/run-sql-script.js';
import { analyzeTransactionControl, committedBefore, committedBeforeOneByOne, type ScriptProblem, type ScriptStatement } from '../db/transaction-control.js';
import type { PlannedStep, Refusal } from '../plan/plan-types.js';
import { sendCounted, transactionStatus, type CountedOutcome } from './counted-query.js';
import { withLockRetries, type LockRetryPolicy } from './lock-retry.js';

/**
 * The step protocol: how one SQL migration and its history writes reach PostgreSQL. Everything
 * about it lives here; SQL engines only say what a step's script is and what their history
 * records (SqlRunner in src/adapter/contract.ts).
 *
 * Invariants, in order of importance, and why each holds:
 *
 * 1. A migration is recorded applied if and only if every statement of it committed. In a
 *    'transaction' or 'own-transaction' step the history row is written inside the transaction
 *    that commits the script, in the same query. A script that runs outside one transaction
 *    ('row-first', 'one-by-one') writes the engine's started record first (committed), and only
 *    after its last statement the done record; if it fails after part of it committed, the
 *    engine's partial-failure record (Prisma's unfinished row with logs; the SQL folders' failed
 *    row) — and if nothing of it committed, the started record is removed. An engine whose history
 *    has no failed state (Drizzle, the Supabase CLI's) gets no script that could commit in parts:
 *    such a script is refused before anything runs (prepareSqlSteps).
 * 2. The first statement of a migration's transaction is the migration's own: the query starts
 *    with `BEGIN;` and the script (a file may begin with SET TRANSACTION ISOLATION LEVEL, which
 *    PostgreSQL only accepts before any other statement). What polymigrate needs before it (the
 *    engine's session settings) runs in a transaction of its own, committed first.
 * 3. A script that takes control of transactions (BEGIN/COMMIT/ROLLBACK/SAVEPOINT/SET TRANSACTION/
 *    CALL…, decided by PostgreSQL's own parser before the run) never runs inside polymigrate's
 *    transaction: it runs the way its engine runs it (SqlRunner.ownTransactions).
 * 4. Every migration starts from the session state the run began with: after each script, still
 *    inside its transaction, SESSION_RESET undoes what it set (search_path, role, settings, temp
 *    tables, prepared statements, cursors, listeners) before the history rows are written, so they
 *    land in the engine's own table whatever the script set. Not DISCARD ALL: that would release
 *    polymigrate's advisory locks.
 * 5. A step's COMMIT travels in its query. That is safe only on a session that holds the step
 *    guard (POLYMIGRATE_STEP_GUARD_KEY): if polymigrate dies while the server still runs the
 *    query, the step commits on its own, and the next run waits for the guard before it reads any
 *    history (src/operations/run-command.ts takes it on every session that runs steps).
 * 6. Speed comes after 1–5: a step that is one query (psql sends three or more) may be sent while
 *    the step before it still runs (pipelining, at most one query waiting), so the server never
 *    waits for polymigrate between migrations; the queued query first checks, in a transaction of
 *    its own, that the step before it committed (sendOneQueryStep). Steps that run outside one
 *    transaction are never pipelined, and never sent while another step still runs.
 */
export type StepMode =
  /** polymigrate's transaction: BEGIN, the script, the reset, the history and journal rows, COMMIT — one query. */
  | 'transaction'
  /** The script is one transaction of its own: the reset and the rows ride before its final COMMIT — one query. */
  | 'own-transaction'
  /** Prisma's protocol: the started row (committed), the whole script as one query, then the done row. */
  | 'row-first'
  /** Outside any transaction, one statement at a time, each committing on its own. */
  | 'one-by-one';

export interface PreparedSqlStep {
  script: SqlStepScript;
  mode: StepMode;
  /** The script's statements as PostgreSQL parses them; known for every mode but 'transaction'. */
  statements?: ScriptStatement[];
  /** 'own-transaction': the index of the script's final COMMIT (none: it ends its implicit transaction). */
  finalCommit?: number;
}

/**
 * Returns a session to the state it started the run with, without releasing its advisory locks
 * (DISCARD ALL would). The order matters: authorization first, so the rest runs as the session user.
 */
export const SESSION_RESET: readonly string[] = [
  'SET SESSION AUTHORIZATION DEFAULT',
  'RESET ROLE',
  'RESET ALL',
  'DEALLOCATE ALL',
  'CLOSE ALL',
  'UNLISTEN *',
  'DISCARD TEMP',
  'DISCARD SEQUENCES',
];

/** Words for the plan: how a step runs, when not in polymigrate's transaction. */
export const MODE_NOTES: Record<StepMode, string | undefined> = {
  transaction: undefined,
  'own-transaction': 'in its own transaction',
  'row-first': 'runs its own transactions (engine protocol)',
  'one-by-one': 'outside a transaction',
};

/**
 * Decide, before anything runs, how each planned SQL step runs, and refuse the scripts that
 * cannot run exactly (invariants 1 and 3). PostgreSQL's parser is loaded only when a script may
 * take control of transactions or runs statement by statement.
 */
export async function prepareSqlSteps(steps: PlannedStep[], adapters: Map<string, MigrationAdapter>): Promise<{ prepared: Map<PlannedStep, PreparedSqlStep>; refusals: Refusal[] }> {
  const prepared = new Map<PlannedStep, PreparedSqlStep>();
  const refusals: Refusal[] = [];
  for (const step of steps) {
    const { runner } = adapters.get(step.engine)!;
    if (runner.granularity === 'single' || !runner.script) continue;
    const script = runner.script(step.migration, step.direction);
    const decided = await decideMode(script, step.direction, runner);
    if ('problem' in decided) refusals.push(refusalFor(step, script, decided.problem));
    else prepared.set(step, decided);
  }
  return { prepared, refusals };
}

type Decision = PreparedSqlStep | { problem: ScriptProblem };

async function decideMode(script: SqlStepScript, direction: Direction, runner: SqlRunner | BatchRunner): Promise<Decision> {
  const analysis = await analyzeTransactionControl(script.source.text);
  const [problem] = analysis.problems;
  if (problem) return { problem };
  if (script.oneByOne) {
    const parsed = analysis.statements.length > 0 ? { ok: true as const, statements: analysis.statements } : await parseScript(script.source.text);
    if (!parsed.ok) {
      return {
        problem: {
          offset: parsed.index ?? 0,
          message: `PostgreSQL's parser (version ${PARSER_PG_MAJOR}) rejects it: ${parsed.message}`,
          hint: 'Fix the SQL; nothing of this migration ran.',
        },
      };
    }
    return { script, mode: 'one-by-one', statements: parsed.statements.map((s) => ({ offset: s.offset, text: s.text, ...('control' in s && s.control ? { control: s.control } : {}) })) };
  }
  if (!analysis.takesControl) return { script, mode: 'transaction' };
  const { statements } = analysis;
  if (runner.granularity === 'batch') {
    return {
      problem: {
        offset: firstControl(statements),
        message: 'it controls transactions itself (BEGIN/COMMIT…), and this engine runs all pending migrations in one transaction',
        hint: 'Remove the transaction control, or run this engine with atomic: false.',
      },
    };
  }
  const policy = direction === 'down' ? 'atomic-only' : runner.ownTransactions;
  if (policy === 'row-first') return { script, mode: 'row-first', statements };
  if (analysis.commits === 'at-end') {
    return { script, mode: 'own-transaction', statements, ...(analysis.finalCommit !== undefined ? { finalCommit: analysis.finalCommit } : {}) };
  }
  if (policy === 'atomic-or-row-first') return { script, mode: 'row-first', statements };
  return {
    problem: {
      offset: firstCommitBeforeMore(statements),
      message:
        direction === 'down'
          ? 'it commits in several steps (a COMMIT, or a procedure that may commit, followed by more statements), so a failure halfway would leave it half reverted while still recorded as applied'
          : "it commits in several steps (a COMMIT, or a procedure that may commit, followed by more statements), and this engine's history has no failed state: a failure halfway would leave part of it committed with the migration still pending",
      hint: 'Split it into one migration per transaction, or remove BEGIN/COMMIT: polymigrate runs each migration in a transaction of its own.',
    },
  };
}

function firstControl(statements: ScriptStatement[]): number {
  return statements.find((s) => s.control)?.offset ?? 0;
}

function firstCommitBeforeMore(statements: ScriptStatement[]): number {
  const index = statements.findIndex((s, i) => (s.control === 'commit' || s.control === 'may-commit') && i < statements.length - 1);
  return statements[Math.max(index, 0)]?.offset ?? 0;
}

function refusalFor(step: PlannedStep, script: SqlStepScript, problem: ScriptProblem): Refusal {
  const at = lineColumnAtIndex(script.source, problem.offset);
  return {
    engine: step.engine,
    id: step.id,
    message: `${step.engine}: ${step.direction} ${step.id} cannot run as written: ${problem.message} (at ${script.source.file}:${at.line}:${at.column}).`,
    fix: problem.hint,
  };
}

/** What running one SQL step needs besides the step itself. */
export interface SqlStepContext {
  /** The engine's connection: a pg.Client that holds the step guard (invariant 5). */
  db: Queryable;
  history: StepHistory;
  /** The journal row to commit with the step (when the step's connection is the journal's). */
  journalRow?: string;
  /** The engine's session statements (SqlRunner.session), and `SET lock_timeout` with --ddl-lock-timeout. */
  session: readonly string[];
  log: StepLogger;
  /** --ddl-retries: a statement run on its own (one-by-one) is tried again after a lock timeout. */
  lockRetry?: LockRetryPolicy;
  signal?: AbortSignal;
}

/**
 * Run one prepared SQL step. Resolves with whether the journal row was written with it; throws
 * the step's error (a SqlScriptError naming file, line, column and statement) when it failed,
 * after recording what the engine records for that failure.
 */
export async function runSqlStep(step: PreparedSqlStep, ctx: SqlStepContext): Promise<{ journaled: boolean }> {
  if (isOneQuery(step)) {
    await sendOneQueryStep(step, ctx).settle();
    return { journaled: ctx.journalRow !== undefined };
  }
  try {
    if (step.mode === 'row-first') await runRowFirst(step, ctx);
    else await runOneByOne(step, ctx);
    return { journaled: ctx.journalRow !== undefined };
  } catch (error) {
    warnHint(step, ctx, error);
    throw error;
  }
}

function warnHint(step: PreparedSqlStep, ctx: SqlStepContext, error: unknown): void {
  const hint = step.script.hintFor?.((error as { code?: string }).code);
  if (hint) ctx.log.warn(hint);
}

/** After the script, inside its transaction: the reset (invariant 4), then the history and journal rows. */
function closingStatements(ctx: SqlStepContext): string[] {
  return [...SESSION_RESET, ctx.history.done, ...(ctx.journalRow ? [ctx.journalRow] : [])];
}

/** Steps that travel as one query, BEGIN (theirs or ours) through COMMIT: they may be pipelined. */
export function isOneQuery(step: PreparedSqlStep): boolean {
  return step.mode === 'transaction' || step.mode === 'own-transaction';
}

/** A one-query step whose query has been sent; `settle` waits for it and throws its error. */
export interface SentStep {
  settle(): Promise<void>;
}

/**
 * 'transaction': `BEGIN; <script>; <reset>; <rows>; COMMIT` — PostgreSQL parses the whole query
 * first and stops at the first failing statement (a failing COMMIT included), so nothing of the
 * step commits unless all of it does. 'own-transaction': the same with the script's own BEGIN,
 * and the reset and rows placed before its final COMMIT.
 *
 * The query goes out at once, so the caller may send the next step's query before this one ends
 * (pipelining, invariant 6): then it passes `check`, a statement that fails unless the step before
 * committed (Journal.stepCommittedCheckSql). The check runs first, in a transaction of its own with
 * the engine's session statements (invariant 2), so after a failed step nothing of this one runs:
 * PostgreSQL refuses the query inside the aborted transaction, or the check fails.
 */
export function sendOneQueryStep(step: PreparedSqlStep, ctx: SqlStepContext, check?: string): SentStep {
  const { source } = step.script;
  const head = ctx.session.length > 0 || check ? ['BEGIN', ...ctx.session, ...(check ? [check] : []), 'COMMIT'] : [];
  const opening = [...head, ...(step.mode === 'transaction' ? ['BEGIN'] : [])];
  const prefix = opening.map((s) => `${s};\n`).join('');
  const finalCommit = step.finalCommit !== undefined ? step.statements![step.finalCommit]! : undefined;
  const body = finalCommit ? source.text.slice(0, finalCommit.offset) : source.text;
  const ending = step.mode === 'transaction' ? 'COMMIT' : finalCommit?.text;
  const closing = [...closingStatements(ctx), ...(ending ? [ending] : [])];
  const sending = sendCounted(ctx.db, `${prefix}${body}\n;\n${closing.join(';\n')}`);
  return {
    async settle() {
      const outcome = await sending;
      if (outcome.ok) return;
      await rollback(ctx.db);
      const error = await scriptError(outcome, step, { prefixLength: prefix.length, prefixStatements: opening.length });
      // Its own BEGIN/COMMIT might suggest otherwise: say that none of it stayed.
      if (step.mode === 'own-transaction') error.message += ' — nothing of the migration had committed (it runs as one transaction of its own)';
      warnHint(step, ctx, error);
      throw error;
    },
  };
}

/**
 * Prisma's protocol for a script that runs its own transactions: the started row commits first,
 * the whole script goes as one query (PostgreSQL's multi-statement rules: up to each COMMIT,
 * statements commit together), then the done row — or, after a failure, the engine's record of it.
 */
async function runRowFirst(step: PreparedSqlStep, ctx: SqlStepContext): Promise<void> {
  const { history } = ctx;
  await ctx.db.query([...ctx.session, ...(history.started ? [history.started] : [])].join(';\n') || 'SELECT 1');
  const outcome = await sendCounted(ctx.db, step.script.source.text);
  const statements = step.statements ?? [];
  if (outcome.ok && !leftOpen(ctx.db)) {
    await ctx.db.query(closingStatements(ctx).join(';\n'));
    return;
  }
  await rollback(ctx.db);
  const failedAt = outcome.ok ? statements.length : outcome.completed;
  const error = outcome.ok
    ? new SqlScriptError(new Error('the script left a transaction open (a BEGIN without COMMIT); it was rolled back'), step.script.source)
    : await scriptError(outcome, step, { prefixLength: 0, prefixStatements: 0 });
  await recordFailure(error, committedBefore(statements, failedAt), step, ctx);
}

/** Outside any transaction, one statement at a time (CREATE INDEX CONCURRENTLY needs it). */
async function runOneByOne(step: PreparedSqlStep, ctx: SqlStepContext): Promise<void> {
  const { history } = ctx;
  const statements = step.statements ?? [];
  const opening = [...ctx.session, ...(history.started ? [history.started] : [])];
  if (opening.length > 0) await ctx.db.query(opening.join(';\n'));
  for (let index = 0; index < statements.length; index += 1) {
    const statement = statements[index]!;
    const piece = pieceSource(step.script, statement);
    try {
      // Alone and outside a block, a statement that timed out on its lock changed nothing: it may be
      // tried again (unless it left an invalid index behind, which a retry would trip over).
      await withLockRetries(
        insideBlock(statements, index) ? undefined : ctx.lockRetry,
        async () => {
          const outcome = await sendCounted(ctx.db, piece.text);
          if (!outcome.ok) throw outcome.error;
        },
        {
          onRetry: (attempt, delayMs, error) =>
            ctx.log.warn(`statement ${index + 1} of ${statements.length} timed out waiting for a lock (${error.message}); try ${attempt + 1} in ${(delayMs / 1000).toFixed(1)}s`),
          canRetry: async () => (await invalidIndexLeft(ctx.db, statement)) === undefined,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
      );
    } catch (cause) {
      await rollback(ctx.db);
      const error = new SqlScriptError(cause, piece, { number: index + 1, of: statements.length, offset: piece.text.length - statement.text.length });
      const invalid = await invalidIndexLeft(ctx.db, statement);
      if (invalid)
        error.message += ` — it left the INVALID index ${invalid} behind (PostgreSQL keeps it after a failed CONCURRENTLY build): drop it with DROP INDEX CONCURRENTLY ${invalid} before running it again`;
      await recordFailure(error, committedBeforeOneByOne(statements, index), step, ctx);
    }
  }
  if (leftOpen(ctx.db)) {
    await rollback(ctx.db);
    const error = new SqlScriptError(new Error('the script left a transaction open (a BEGIN without COMMIT); it was rolled back'), step.script.source);
    await recordFailure(error, committedBeforeOneByOne(statements, statements.length), step, ctx);
  }
  await ctx.db.query(closingStatements(ctx).join(';\n'));
}

/** Statement `index` runs inside the script's own BEGIN block (one by one, as psql -f runs it). */
function insideBlock(statements: ScriptStatement[], index: number): boolean {
  let open = false;
  for (let i = 0; i < index; i += 1) {
    const control = statements[i]!.control;
    if (control === 'begin') open = true;
    else if (control === 'commit' || control === 'rollback') open = false;
  }
  return open;
}

/**
 * A CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) that fails after its first phase leaves
 * an INVALID index: name it, so it is never left behind silently.
 */
async function invalidIndexLeft(db: Queryable, statement: ScriptStatement): Promise<string | undefined> {
  const name = /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)/i.exec(statement.text)?.[1];
  if (!name) return undefined;
  const relname = name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
  try {
    const { rows } = await db.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND c.relname = $1 LIMIT 1`,
      [relname],
    );
    return rows[0]?.name;
  } catch {
    return undefined;
  }
}

/**
 * A statement sent on its own, padded with spaces to its column and carrying its line, so that
 * PostgreSQL's error position still maps to file:line:column.
 */
function pieceSource(script: SqlStepScript, statement: ScriptStatement): { file: string; text: string; lineOffset: number } {
  const { source } = script;
  const before = source.text.slice(0, statement.offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    file: source.file,
    text: ' '.repeat(statement.offset - lineStart) + statement.text,
    lineOffset: source.lineOffset + before.split('\n').length - 1,
  };
}

/**
 * A script that ran outside polymigrate's transaction failed: record what the engine records
 * (invariant 1) — its partial-failure record when part of it committed, else the removal of its
 * started record (or, for an engine that records every failure the same way, its failure record)
 * — say in the message what committed, and throw.
 */
async function recordFailure(error: SqlScriptError, committed: boolean, step: PreparedSqlStep, ctx: SqlStepContext): Promise<never> {
  const { history } = ctx;
  const report = { message: error.message, ...pgFields(error) };
  const forget = !committed ? history.forget : undefined;
  const record = forget ?? history.failed?.(report);
  await ctx.db.query([...SESSION_RESET, ...(record ? [record] : [])].join(';\n'));
  error.message += ` — ${whatCommitted(committed, step)}${forget ? ': it is pending again' : step.script.partialAdvice ? `; ${step.script.partialAdvice}` : ''}`;
  throw error;
}

function whatCommitted(committed: boolean, step: PreparedSqlStep): string {
  if (!committed) return 'nothing of the migration had committed';
  return step.mode === 'one-by-one'
    ? 'the statements before it had committed (it runs outside a transaction, one statement at a time)'
    : 'what it ran before its own COMMIT had committed (it runs its own transactions)';
}

function pgFields(error: SqlScriptError): { code?: string; detail?: string; hint?: string } {
  return {
    ...(error.code ? { code: error.code } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
}

/**
 * The error of a failed one-query step, pinned to the file: PostgreSQL's position when it gives
 * one (made relative to the script), else the statement that failed, counted from the statements
 * PostgreSQL completed before it (CountedQuery).
 */
async function scriptError(outcome: Extract<CountedOutcome, { ok: false }>, step: PreparedSqlStep, query: { prefixLength: number; prefixStatements: number }): Promise<SqlScriptError> {
  const { error } = outcome;
  shiftPosition(error, query.prefixLength, step.script.source.text.length);
  const index = outcome.completed - query.prefixStatements;
  if (index < 0) return new SqlScriptError(error, step.script.source);
  const statements = step.statements ?? (await parsedStatements(step.script.source.text));
  const statement = statements?.[index];
  return new SqlScriptError(error, step.script.source, statement ? { number: index + 1, of: statements.length, offset: statement.offset } : undefined);
}

/** The script's statements for naming a failed one (a failure path: the parser's cost does not matter). */
async function parsedStatements(text: string): Promise<ScriptStatement[] | undefined> {
  const parsed = await parseScript(text);
  return parsed.ok ? parsed.statements : undefined;
}

/**
 * PostgreSQL's `position` counts characters of the whole query; make it relative to the script,
 * and drop it when it points outside the script (into polymigrate's own statements).
 */
function shiftPosition(error: unknown, by: number, scriptLength: number): void {
  const pgError = error as { position?: string };
  if (typeof pgError?.position !== 'string') return;
  const position = Number(pgError.position) - by;
  if (Number.isInteger(position) && position > 0 && position <= scriptLength + 1) pgError.position = String(position);
  else delete pgError.position;
}

/** The script ended inside a transaction block (a BEGIN without COMMIT): nothing of that block committed. */
function leftOpen(db: Queryable): boolean {
  const status = transactionStatus(db);
  return status === 'open' || status === 'failed';
}

/** End whatever transaction a failed query left (aborted or open); a warning when there is none. */
async function rollback(db: Queryable): Promise<void> {
  await db.query('ROLLBACK').catch(() => undefined);
}
