/**
 * A small PostgreSQL lexer: just enough to split a script into statements and to see its
 * keywords without being fooled by comments, quoted strings, quoted identifiers or
 * dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`). It does not parse SQL.
 */

export interface SqlStatement {
  /** The statement text as written (without the trailing semicolon). */
  text: string;
  /** Character offset of the statement's first character in the script. */
  offset: number;
}

interface Scan {
  /** The script with comments and quoted content blanked out (same length, newlines kept). */
  code: string;
  /** Offsets of the semicolons that end statements. */
  terminators: number[];
}

function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/** Where the block comment opening at `start` ends (block comments nest in PostgreSQL). */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 1;
  let j = start + 2;
  while (j < sql.length && depth > 0) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth += 1;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth -= 1;
      j += 2;
    } else j += 1;
  }
  return j;
}

/** The offset of the quote that closes the string or identifier opening at `start` (the length when unclosed). */
function closingQuote(sql: string, start: number): number {
  const quote = sql[start]!;
  let j = start + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] !== quote) return j;
      j += 2;
      continue;
    }
    // E'…' strings allow backslash escapes.
    if (quote === "'" && sql[j] === '\\' && /[eE]/.test(sql[start - 1] ?? '')) {
      j += 2;
      continue;
    }
    j += 1;
  }
  return j;
}

function scan(sql: string): Scan {
  let code = '';
  const terminators: number[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      code += blank(sql.slice(i, stop));
      i = stop;
    } else if (ch === '/' && next === '*') {
      const j = blockCommentEnd(sql, i);
      code += blank(sql.slice(i, j));
      i = j;
    } else if (ch === "'" || ch === '"') {
      const j = closingQuote(sql, i);
      code += ch + blank(sql.slice(i + 1, j)) + (j < sql.length ? ch : '');
      i = j + 1;
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      // `$1` parameters and identifiers containing `$` are not dollar quotes.
      const prev = sql[i - 1] ?? ' ';
      if (tag && !/[A-Za-z0-9_]/.test(prev)) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const stop = close === -1 ? sql.length : close + tag[0].length;
        code += blank(sql.slice(i, stop));
        i = stop;
      } else {
        code += ch;
        i += 1;
      }
    } else {
      if (ch === ';') terminators.push(i);
      code += ch;
      i += 1;
    }
  }
  return { code, terminators };
}

/** Split a script into statements; empty statements (only comments/whitespace) are dropped. */
export function splitStatements(sql: string): SqlStatement[] {
  const { code, terminators } = scan(sql);
  const statements: SqlStatement[] = [];
  let start = 0;
  for (const end of [...terminators, sql.length]) {
    const piece = code.slice(start, end);
    if (piece.trim() !== '') {
      const lead = piece.length - piece.trimStart().length;
      statements.push({ text: sql.slice(start + lead, end).trimEnd(), offset: start + lead });
    }
    start = end + 1;
  }
  return statements;
}

/** The script with comments and quoted content blanked, upper-cased with whitespace folded. */
export function codeOnly(sql: string): string {
  return scan(sql).code.toUpperCase().replace(/\s+/g, ' ');
}

/**
 * Statements PostgreSQL refuses inside a transaction block. A migration that contains one must
 * run outside a transaction, statement by statement.
 */
const NON_TRANSACTIONAL: Array<[RegExp, string]> = [
  [/\bCREATE (UNIQUE )?INDEX CONCURRENTLY\b/, 'CREATE INDEX CONCURRENTLY'],
  [/\bDROP INDEX CONCURRENTLY\b/, 'DROP INDEX CONCURRENTLY'],
  [/\bREINDEX\b[^;]*\bCONCURRENTLY\b/, 'REINDEX CONCURRENTLY'],
  [/\bDETACH PARTITION\b[^;]*\bCONCURRENTLY\b/, 'DETACH PARTITION CONCURRENTLY'],
  [/(^|;) ?VACUUM\b/, 'VACUUM'],
  [/\b(CREATE|DROP) DATABASE\b/, 'CREATE/DROP DATABASE'],
  [/\b(CREATE|DROP) TABLESPACE\b/, 'CREATE/DROP TABLESPACE'],
  [/\bALTER SYSTEM\b/, 'ALTER SYSTEM'],
  [/\bCREATE SUBSCRIPTION\b/, 'CREATE SUBSCRIPTION'],
];

/**
 * Statement heads that may take control of transactions or read client data: BEGIN/START
 * TRANSACTION, COMMIT/END, ROLLBACK/ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION, SET
 * TRANSACTION, SET SESSION CHARACTERISTICS, CALL (a procedure may COMMIT), DO (its body may COMMIT)
 * and COPY (FROM STDIN). Matched at the start of a statement in the blanked script, so a `$$`
 * body's BEGIN…END or a comment never counts.
 */
const CONTROL_HEAD =
  /(?:^|;)\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION|SET\s+TRANSACTION|SET\s+SESSION\s+CHARACTERISTICS|CALL|DO|COPY)\b/i;

/** Words one of those statements must contain; most migrations contain none of them. */
const CONTROL_WORDS = /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare|transaction|characteristics|call|do|copy)\b/i;

/**
 * True when the script may hold a statement that takes control of transactions (or COPY): such a
 * script is then read by PostgreSQL's own parser (pg-parser.ts), which decides exactly. A false
 * positive costs a parse; a false negative cannot happen for statements the lexer sees, because
 * it over-splits rather than under-splits.
 */
export function mayTakeTransactionControl(sql: string): boolean {
  if (!CONTROL_WORDS.test(sql)) return false;
  return CONTROL_HEAD.test(scan(sql).code);
}

/** The first statement kind in `sql` that cannot run inside a transaction, if any. */
export function findNonTransactionalStatement(sql: string): string | undefined {
  // Almost no migration mentions any of these words: skip the lexer for those (status reads
  // every file, thousands in large projects).
  if (!/concurrently|vacuum|database|tablespace|system|subscription/i.test(sql)) return undefined;
  const code = codeOnly(sql);
  for (const [pattern, label] of NON_TRANSACTIONAL) {
    if (pattern.test(code)) return label;
  }
  return undefined;
}
