import { shapeStatements } from './statement-shape.js';
import type { MigrationTrace, StatementTrace, TraceStatement } from './types.js';

/**
 * SQL captured from a session polymigrate does not drive — Payload runs its migrations through
 * its own database client — turned into statements the trace and the rules can use.
 *
 * How to capture (the caller's choice; this file only reads the result): run the engine against
 * the SHADOW server with statement logging on, e.g. start the shadow's PostgreSQL with
 *   -c log_statement=all -c log_line_prefix='%m [%p] %a ' -c log_destination=stderr
 * (or ALTER SYSTEM / ALTER ROLE … SET log_statement = 'all' on it; a superuser setting), and read
 * the lines the server writes to stderr while the engine's migration runs. Never on the live
 * server: its log would receive every statement of every session.
 *
 * Then either
 * - replay: `traceMigration(scratch, { …, statements: capturedStatements(lines, …) })` on a scratch
 *   database in the state before that migration — every fact observed, as for any migration
 *   (the better way: the statements are known, so they can run again); or
 * - `unobservedTrace(…)`: no replay; the rules fall back on each statement's parse tree (their
 *   'parsed' basis), and locks, rewrites and lock_timeout are unknown.
 */

/** One log line: `<prefix>LOG:  statement: …`, `<prefix>DETAIL:  parameters: …`; continuations start with a tab. */
const ENTRY = /^(?<prefix>.*?)\b(?<level>LOG|DETAIL|ERROR|STATEMENT|HINT|CONTEXT|WARNING|NOTICE|FATAL): {2}(?<text>.*)$/;
const STATEMENT = /^(?:statement|execute [^:]*): (?<sql>[\s\S]*)$/;
const PARAMETER = /\$(\d+) = (NULL|'(?:[^']|'')*')/g;

export interface CaptureFilter {
  /** Keep only this backend's statements (the `[%p]` of log_line_prefix). */
  pid?: number;
  /** The file or migration the statements are attributed to, in findings. */
  file?: string;
}

interface LogEntry {
  level: string;
  pid?: number;
  text: string;
}

/** The statements a session sent, in order, from the server's stderr log lines. */
export function capturedStatements(lines: Iterable<string>, filter: CaptureFilter = {}): TraceStatement[] {
  const statements: TraceStatement[] = [];
  for (const entry of logEntries(lines)) {
    if (filter.pid !== undefined && entry.pid !== filter.pid) continue;
    const last = statements.at(-1);
    if (entry.level === 'DETAIL' && last && entry.text.startsWith('parameters: ')) {
      // Extended protocol: the values of the `execute` just before, logged as SQL literals.
      last.sql = inlineParameters(last.sql, entry.text.slice('parameters: '.length));
      continue;
    }
    const sql = entry.level === 'LOG' ? STATEMENT.exec(entry.text)?.groups?.sql : undefined;
    if (sql !== undefined) statements.push({ sql, ...(filter.file ? { file: filter.file } : {}) });
  }
  return statements;
}

function* logEntries(lines: Iterable<string>): Generator<LogEntry> {
  let current: LogEntry | undefined;
  for (const line of lines) {
    if (line.startsWith('\t') && current) {
      current.text += `\n${line.slice(1)}`;
      continue;
    }
    const match = ENTRY.exec(line);
    if (current) yield current;
    current = undefined;
    if (!match?.groups) continue;
    const pid = /\[(\d+)\]/.exec(match.groups.prefix!)?.[1];
    current = { level: match.groups.level!, text: match.groups.text!, ...(pid ? { pid: Number(pid) } : {}) };
  }
  if (current) yield current;
}

/** `$1 = 'a', $2 = NULL` into the statement, highest number first ($10 before $1). */
function inlineParameters(sql: string, parameters: string): string {
  const values = [...parameters.matchAll(PARAMETER)].map((m) => ({ n: Number(m[1]), value: m[2]! })).sort((a, b) => b.n - a.n);
  return values.reduce((text, { n, value }) => text.replaceAll(`$${n}`, value), sql);
}

/** A trace of captured statements that were not replayed: shapes only, for the rules' parse-level checks. */
export async function unobservedTrace(migration: { engine: string; id: string; transactional: boolean; statements: TraceStatement[] }): Promise<MigrationTrace> {
  const shaped = await shapeStatements(migration.statements);
  const statements: StatementTrace[] = shaped.map((s, index) => ({
    index,
    statement: s.statement,
    shape: s.shape,
    outcome: s.shape.control ? 'control' : 'ran',
    locks: [],
    holding: [],
    note: 'captured from the server log, not replayed: locks and rewrites unknown',
  }));
  return {
    engine: migration.engine,
    id: migration.id,
    transactional: migration.transactional,
    statements,
    outcome: 'ok',
    committed: false,
    notes: ['captured from the server log and not replayed: findings come from the SQL text alone'],
    foreignKeysWithoutIndex: [],
    traceMs: 0,
    observeMs: 0,
    observations: 0,
  };
}
