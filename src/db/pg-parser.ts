/**
 * PostgreSQL's own parser (libpg_query, compiled to WebAssembly), for the scripts where the exact
 * statement boundaries and kinds decide how a migration runs: scripts that take control of
 * transactions, that run statement by statement, or whose failing statement must be named.
 *
 * It is loaded on first use only (~80 ms, 1 MB of WebAssembly): `status` and the common case — a
 * migration without transaction control, sent whole — never load it. The fast lexer in
 * sql-lexer.ts decides which scripts need it.
 */

/** One top-level statement as PostgreSQL's parser sees it. */
export interface ParsedStatement {
  /** Character offset of the statement's first character (after leading whitespace and comments). */
  offset: number;
  /** The statement text, without its terminating semicolon. */
  text: string;
  /** The parse node's type: "TransactionStmt", "VariableSetStmt", "CopyStmt", "CallStmt", "DoStmt"… */
  type: string;
  /** The parse node itself (libpg_query's JSON form). */
  node: Record<string, unknown>;
}

export type ParseOutcome =
  | { ok: true; statements: ParsedStatement[] }
  /** `index`: where in the script (a string index) the parser stopped, when it says. */
  | { ok: false; message: string; index?: number };

interface LibPgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
}

let loading: Promise<LibPgQuery> | undefined;

async function parser(): Promise<LibPgQuery> {
  loading ??= (async () => {
    const module = (await import('libpg-query')) as unknown as LibPgQuery;
    await module.loadModule();
    return module;
  })();
  return loading;
}

/**
 * Start loading the parser now, for a command that will need it after slower work (`plan` loads it
 * while the shadow starts and copies its template). A failure surfaces at the first parse.
 */
export function loadParserSoon(): void {
  parser().catch(() => undefined);
}

/** The PostgreSQL major whose grammar the parser implements (for messages). */
export const PARSER_PG_MAJOR = 17;

export async function parseScript(text: string): Promise<ParseOutcome> {
  const pg = await parser();
  let tree: ReturnType<LibPgQuery['parseSync']>;
  try {
    tree = pg.parseSync(text);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const cursor = details?.cursorPosition;
    return {
      ok: false,
      message: (error as Error).message,
      // libpg_query reports a 0-based UTF-8 byte offset.
      ...(typeof cursor === 'number' && cursor >= 0 ? { index: byteOffsetMapper(text)(cursor) } : {}),
    };
  }
  const statements: ParsedStatement[] = [];
  const toChar = byteOffsetMapper(text);
  for (const raw of tree.stmts ?? []) {
    // Locations are UTF-8 byte offsets; a statement's span includes the whitespace and comments
    // before it (and stmt_len 0 means "to the end of the script").
    const start = toChar(raw.stmt_location ?? 0);
    const end = raw.stmt_len ? toChar((raw.stmt_location ?? 0) + raw.stmt_len) : text.length;
    const span = text.slice(start, end);
    const lead = leadingTriviaLength(span);
    const type = Object.keys(raw.stmt)[0] ?? 'unknown';
    statements.push({
      offset: start + lead,
      text: span.slice(lead).replace(/[\s;]+$/, ''),
      type,
      node: (raw.stmt[type] ?? {}) as Record<string, unknown>,
    });
  }
  return { ok: true, statements };
}

/** Whitespace and comments (line and nested block comments) at the start of `span`. */
function leadingTriviaLength(span: string): number {
  let i = 0;
  while (i < span.length) {
    if (/\s/.test(span[i]!)) {
      i += 1;
    } else if (span.startsWith('--', i)) {
      const end = span.indexOf('\n', i);
      i = end === -1 ? span.length : end + 1;
    } else if (span.startsWith('/*', i)) {
      let depth = 1;
      let j = i + 2;
      while (j < span.length && depth > 0) {
        if (span.startsWith('/*', j)) {
          depth += 1;
          j += 2;
        } else if (span.startsWith('*/', j)) {
          depth -= 1;
          j += 2;
        } else j += 1;
      }
      i = j;
    } else {
      break;
    }
  }
  return i;
}

/** Maps UTF-8 byte offsets of `text` to JavaScript string offsets, walking forward once. */
function byteOffsetMapper(text: string): (byteOffset: number) => number {
  // ASCII-only text: bytes and characters coincide.
  // eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: every ASCII character.
  if (!/[^\x00-\x7f]/.test(text)) return (b) => Math.min(b, text.length);
  const byteAt: number[] = [];
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    byteAt.push(bytes);
    const code = text.codePointAt(i)!;
    if (code > 0xffff) {
      byteAt.push(bytes); // the low surrogate shares the character's first byte
      i += 1;
    }
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  byteAt.push(bytes);
  return (b) => {
    let lo = 0;
    let hi = byteAt.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byteAt[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
