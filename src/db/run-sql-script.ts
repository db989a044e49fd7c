import type { Queryable, SqlSource } from '../adapter/contract.js';
import { splitStatements, type SqlStatement } from './sql-lexer.js';

/** Which statement of a script failed, when the step protocol knows (see CountedQuery). */
export interface FailedStatement {
  /** 1-based statement number, and how many the script has. */
  number: number;
  of: number;
  /** Character offset of the statement in the script: its position when PostgreSQL gives none. */
  offset: number;
}

/**
 * A PostgreSQL error raised by a migration script, with the file position of the failing
 * statement. PostgreSQL reports `position` as a 1-based character offset into the text it was
 * sent; adapters send a known slice of a file, so the offset maps back to file:line:column. Most
 * errors (constraint violations, a failing COMMIT…) carry no position: then the failing
 * statement's own start is given, when known.
 */
export class SqlScriptError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly code?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly statement?: FailedStatement;
  constructor(cause: unknown, source: SqlSource, statement?: FailedStatement) {
    const pgError = cause as { message?: string; position?: string; code?: string; detail?: string; hint?: string };
    const at = positionToLineColumn(source, pgError.position) ?? (statement ? lineColumnAtIndex(source, statement.offset) : undefined);
    const where = at ? `${source.file}:${at.line}:${at.column}` : source.file;
    const which = statement && statement.of > 1 ? `, statement ${statement.number} of ${statement.of}` : '';
    super(`${pgError.message ?? String(cause)} (at ${where}${which})`, { cause });
    this.name = 'SqlScriptError';
    this.file = source.file;
    if (at) {
      this.line = at.line;
      this.column = at.column;
    }
    if (statement) this.statement = statement;
    if (pgError.code) this.code = pgError.code;
    if (pgError.detail) this.detail = pgError.detail;
    if (pgError.hint) this.hint = pgError.hint;
  }
}

/** file:line:column of a string index into `source.text`. */
export function lineColumnAtIndex(source: SqlSource, index: number): { line: number; column: number } {
  const before = source.text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: source.lineOffset + before.split('\n').length, column: Array.from(before.slice(lineStart)).length + 1 };
}

export function positionToLineColumn(source: SqlSource, position: string | number | undefined): { line: number; column: number } | undefined {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return undefined;
  // PostgreSQL counts characters (code points), not UTF-16 units.
  const all = Array.from(source.text);
  if (offset - 1 > all.length) return undefined; // in what polymigrate appended, not in the file
  const chars = all.slice(0, offset - 1);
  let line = 0;
  let column = 1;
  for (const ch of chars) {
    if (ch === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line: source.lineOffset + line + 1, column };
}

/**
 * Run a whole script as one simple-protocol query (no parameters), so multi-statement files and
 * dollar-quoted bodies reach PostgreSQL untouched. Inside an explicit transaction the statements
 * share it; outside one, PostgreSQL runs the multi-statement string as one implicit transaction.
 */
export async function runSqlScript(db: Queryable, source: SqlSource, options: { then?: string } = {}): Promise<void> {
  // `then`: statements of polymigrate's own (a history row) sent in the same query, after the
  // script, to save a round trip. The script comes first, so error positions inside it still map.
  const text = options.then ? `${source.text}\n;\n${options.then}` : source.text;
  if (text.trim() === '') return;
  try {
    await db.query(text);
  } catch (error) {
    throw new SqlScriptError(error, source);
  }
}

/**
 * Send `piece`, found at `offset` in `source.text`, on its own, padded with spaces to its column
 * so PostgreSQL's error position still maps back to file:line:column.
 */
export async function runSqlPiece(db: Queryable, source: SqlSource, offset: number, piece: string): Promise<void> {
  const before = source.text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  await runSqlScript(db, {
    file: source.file,
    text: ' '.repeat(offset - lineStart) + piece,
    lineOffset: source.lineOffset + before.split('\n').length - 1,
  });
}

/**
 * Outside a transaction: every statement as its own query. PostgreSQL runs a multi-statement
 * query as one implicit transaction, which CREATE INDEX CONCURRENTLY and friends refuse. Statements
 * that ran stay committed, so a failure says how many did; `advice` (what to do next, which
 * depends on the engine) is added to the message.
 */
export async function runStatementsOneByOne(db: Queryable, source: SqlSource, options: { statements?: SqlStatement[]; advice?: string } = {}): Promise<void> {
  const statements = options.statements ?? splitStatements(source.text);
  for (const [index, statement] of statements.entries()) {
    try {
      await runSqlPiece(db, source, statement.offset, statement.text);
    } catch (error) {
      if (error instanceof Error) {
        const progress =
          index === 0
            ? 'no statement of this migration had run (it runs outside a transaction, statement by statement)'
            : `statement ${index + 1} of ${statements.length}; the ${index} before it ran and are committed (this migration runs outside a transaction)`;
        error.message += ` — ${progress}.${options.advice ? ` ${options.advice}` : ''}`;
      }
      throw error;
    }
  }
}
