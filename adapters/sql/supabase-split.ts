/**
 * The Supabase CLI's statement splitter, reimplemented so that polymigrate can write
 * `supabase_migrations.schema_migrations.statements` exactly as `supabase db push` /
 * `supabase migration up` would.
 *
 * Mirrors github.com/supabase/cli, commit 1d1e7191268e068fe9cb6aba524d1c619a9c727b:
 *   - apps/cli-go/pkg/parser/state.go   (the state machine)
 *   - apps/cli-go/pkg/parser/token.go   (the bufio.Scanner split function, Split, SplitAndTrim)
 *   - apps/cli-go/pkg/migration/file.go (parseFile → parser.SplitAndTrim; the stored array is
 *     exactly that result, one element per statement)
 *
 * Why exact, quirks included: the CLI never compares `statements` with the file, but it reads
 * them back — `supabase migration fetch` rewrites each migration file as the elements joined with
 * ";\n" (internal/migration/fetch/fetch.go). A row written by polymigrate should be
 * indistinguishable from one the CLI wrote for the same file.
 *
 * So this is NOT a correct PostgreSQL lexer — it deliberately reproduces where the CLI's parser
 * disagrees with PostgreSQL:
 *   - Quotes know only doubled quotes: in `E'\''` the `\'` does not escape, so the string runs on.
 *   - `(` opens a region in which `;` does not split, and the first `)` — even of a nested pair —
 *     closes every open level.
 *   - `BEGIN ATOMIC` opens a region closed by the next `END` anywhere outside quotes/comments,
 *     even in the middle of a word (`append`, `legend`).
 *   - `$$$` closes an anonymous dollar quote right after it opens, and slash-star-slash is a whole
 *     block comment (the star is read as part of both the opener and the closer).
 *   - The Go scanner steps one byte at a time after decoding a rune (a shadowed `width` variable),
 *     so every non-ASCII character is followed by U+FFFD pseudo-characters. The visible effect:
 *     a dollar-quote tag containing a non-ASCII letter (`$é$`) never opens a dollar quote.
 *   - Nothing strips a UTF-8 BOM, and Go's TrimSpace (unlike String.prototype.trim) keeps U+FEFF,
 *     so a BOM stays at the start of the first element.
 *   - A file with no statements yields an empty list; the CLI stores that as NULL (a nil Go slice),
 *     which is the caller's business, not this module's.
 *
 * Not reproduced: the CLI's scanner buffer limit. For a migration file the limit is raised to the
 * file's size, so it only bites a file of 256 KiB or more that contains no splitting `;` at all;
 * the CLI then fails with "token too long" and stores nothing.
 */

/** What the tokenizer has read of the current statement: `sql.slice(start, end)`. */
interface Seen {
  readonly sql: string;
  readonly start: number;
  readonly end: number;
}

/** One state of the machine. `null` means "this character ends the statement". */
interface State {
  next(char: number, seen: Seen): State | null;
}

const SEMICOLON = 0x3b;
const DOLLAR = 0x24;
const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DASH = 0x2d;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const OPEN_PAREN = 0x28;
const UNDERSCORE = 0x5f;
const REPLACEMENT_CHAR = 0xfffd;

// ---------------------------------------------------------------------------------------------
// Character classes, matching Go's `unicode` package rather than JavaScript's notion of them.
// ---------------------------------------------------------------------------------------------

/** Go's unicode.IsSpace (Unicode White_Space). Unlike JS `\s` it has U+0085 and lacks U+FEFF. */
function isGoSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

const LETTER = /^\p{L}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** Go's unicode.IsLetter || unicode.IsDigit (categories L and Nd), with an ASCII fast path. */
function isLetterOrDigit(code: number): boolean {
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);
  }
  const char = String.fromCodePoint(code);
  return LETTER.test(char) || DECIMAL_DIGIT.test(char);
}

/** The parser's isIdentifierRune: what may sit next to BEGIN/ATOMIC and make it a longer word. */
function isIdentifierChar(code: number): boolean {
  return isLetterOrDigit(code) || code === UNDERSCORE || code === DOLLAR;
}

/** Bytes the character takes in UTF-8: the Go scanner feeds one U+FFFD per byte after the first. */
function utf8Length(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return code > 0xffff ? 4 : 3;
}

// ---------------------------------------------------------------------------------------------
// Looking back at what was read. Go compares byte windows at the end of the token; all the
// delimiters compared are ASCII, so comparing UTF-16 code units gives the same answers.
// ---------------------------------------------------------------------------------------------

/** The token read so far ends with `suffix` (which must lie inside the token). */
function endsWith(seen: Seen, suffix: string): boolean {
  const from = seen.end - suffix.length;
  return from >= seen.start && seen.sql.startsWith(suffix, from);
}

/**
 * ASCII-only case-insensitive equality of `sql.slice(from, from + word.length)` and `word`.
 * Go uses strings.EqualFold, but a window of N bytes can only fold to an N-letter ASCII word if
 * it is ASCII itself; JS toUpperCase would wrongly map `ı` to `I`, so compare by hand.
 */
function equalsIgnoreAsciiCase(sql: string, from: number, word: string): boolean {
  for (let k = 0; k < word.length; k += 1) {
    const a = sql.charCodeAt(from + k);
    const b = word.charCodeAt(k);
    if (a !== b && !(isAsciiLetter(a) && (a | 0x20) === (b | 0x20))) return false;
  }
  return true;
}

function isAsciiLetter(code: number): boolean {
  return (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
}

/** Case-insensitive endsWith, for the `)` and `END` that close an atomic region. */
function endsWithIgnoreCase(seen: Seen, suffix: string): boolean {
  const from = seen.end - suffix.length;
  return from >= seen.start && equalsIgnoreAsciiCase(seen.sql, from, suffix);
}

/** The code point that ends just before `index` (a surrogate pair counts as one). */
function codePointBefore(sql: string, index: number): number {
  const low = sql.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = sql.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return ((high - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/** `index` moved left over Go whitespace, but not past `start`. */
function skipSpaceBackwards(sql: string, start: number, index: number): number {
  let i = index;
  while (i > start && isGoSpace(sql.charCodeAt(i - 1))) i -= 1;
  return i;
}

/**
 * The token so far ends with the word ATOMIC preceded (after optional whitespace) by the word
 * BEGIN, both standing alone (not part of a longer identifier such as `fn_atomic`). Only what
 * this token has read counts: the CLI looks no further back than the last split.
 */
function isBeginAtomic(seen: Seen): boolean {
  const { sql, start, end } = seen;
  const atomicAt = end - 'ATOMIC'.length;
  if (atomicAt < start || !equalsIgnoreAsciiCase(sql, atomicAt, 'ATOMIC')) return false;
  if (atomicAt > start && isIdentifierChar(codePointBefore(sql, atomicAt))) return false;
  const beginEnd = skipSpaceBackwards(sql, start, atomicAt);
  const beginAt = beginEnd - 'BEGIN'.length;
  if (beginAt < start || !equalsIgnoreAsciiCase(sql, beginAt, 'BEGIN')) return false;
  return beginAt === start || !isIdentifierChar(codePointBefore(sql, beginAt));
}

// ---------------------------------------------------------------------------------------------
// The states. Objects are mutated in place where Go mutates its structs (quote escape flag,
// comment depth, atomic region's inner state): AtomicState keeps an inner state across calls
// and the quirks depend on that sharing.
// ---------------------------------------------------------------------------------------------

/** Outside any quote or comment: the only place where `;` ends a statement. */
class ReadyState implements State {
  next(char: number, seen: Seen): State | null {
    switch (char) {
      case DOLLAR:
        return new TagState(seen.end - 1);
      case SINGLE_QUOTE:
      case DOUBLE_QUOTE:
        return new QuoteState(char);
      case DASH:
        return new DashState();
      case SLASH:
        return new BlockCommentState();
      case BACKSLASH:
        return new EscapeState();
      case SEMICOLON:
        return null;
      case OPEN_PAREN:
        return new AtomicState(this, ')');
      case 0x43: // C
      case 0x63: // c — the last letter of ATOMIC
        return isBeginAtomic(seen) ? new AtomicState(READY, 'END') : this;
      default:
        return this;
    }
  }
}

/** Stateless, so one instance serves everywhere Go allocates a fresh ReadyState. */
const READY = new ReadyState();

/** Saw one `-`: a second makes a line comment, anything else is read as if in ReadyState. */
class DashState implements State {
  next(char: number, seen: Seen): State | null {
    // A line comment is a "dollar quote" closed by a newline: nothing inside is special.
    return char === DASH ? new DollarQuoteState('\n') : READY.next(char, seen);
  }
}

/** Saw `/`; becomes a (nestable) block comment if `*` follows. */
class BlockCommentState implements State {
  private depth = 0;

  next(char: number, seen: Seen): State | null {
    if (endsWith(seen, '/*')) {
      this.depth += 1;
      return this;
    }
    // A lone `/` (division): read this character normally.
    if (this.depth === 0) return READY.next(char, seen);
    if (endsWith(seen, '*/')) {
      this.depth -= 1;
      if (this.depth === 0) return READY;
    }
    return this;
  }
}

/** Inside '…' or "…". Only a doubled delimiter escapes; backslashes mean nothing here. */
class QuoteState implements State {
  /** The previous character was the delimiter: either the end or the first half of a pair. */
  private sawDelimiter = false;

  constructor(private readonly delimiter: number) {}

  next(char: number, seen: Seen): State | null {
    if (this.sawDelimiter) {
      if (char === this.delimiter) {
        this.sawDelimiter = false;
        return this;
      }
      return READY.next(char, seen);
    }
    if (char === this.delimiter) this.sawDelimiter = true;
    return this;
  }
}

/** Inside a dollar quote (or a line comment): ends when the text read ends with `closer`. */
class DollarQuoteState implements State {
  constructor(private readonly closer: string) {}

  next(_char: number, seen: Seen): State | null {
    return endsWith(seen, this.closer) ? READY : this;
  }
}

/** Saw `$` at `offset`: a `$tag$` opens a dollar quote, any other character abandons it. */
class TagState implements State {
  constructor(private readonly offset: number) {}

  next(char: number, seen: Seen): State | null {
    if (char === DOLLAR) return new DollarQuoteState(seen.sql.slice(this.offset, seen.end));
    if (isLetterOrDigit(char) || char === UNDERSCORE) return this;
    return READY.next(char, seen);
  }
}

/** Saw `\` outside quotes: the next character is taken literally (so `\;` does not split). */
class EscapeState implements State {
  next(): State | null {
    return READY;
  }
}

/**
 * Inside `( … )` or `BEGIN ATOMIC … END`: `;` does not split. Every character still goes
 * through an inner state so that delimiters inside quotes and comments do not count; the
 * region closes when the inner state is ready and the text ends with the closer.
 */
class AtomicState implements State {
  constructor(
    private inner: State,
    private readonly closer: string,
  ) {}

  next(char: number, seen: Seen): State | null {
    const inner = this.inner.next(char, seen);
    // A `;` here would end the statement; inside the region it is swallowed and the inner
    // state stays as it was (which Go does too, even for a half-finished quote or comment).
    if (inner !== null) this.inner = inner;
    if (this.inner instanceof ReadyState && endsWithIgnoreCase(seen, this.closer)) return READY;
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// Splitting.
// ---------------------------------------------------------------------------------------------

/**
 * The raw tokens of the CLI's `parser.Split` without transforms: each ends with its `;`
 * (the last may have none), whitespace and comments are kept, nothing is dropped. Joining them
 * gives back `sql`. Exposed for tests that mirror the CLI's own Split tests.
 */
export function splitSupabaseTokens(sql: string): string[] {
  const tokens: string[] = [];
  let state: State = READY;
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const char = sql.codePointAt(i)!;
    const end = i + (char > 0xffff ? 2 : 1);
    const seen: Seen = { sql, start, end };
    let next = state.next(char, seen);
    // After a multi-byte character the Go loop advances by one byte, feeding U+FFFD for each
    // continuation byte. It can never end a statement, but it does end a `$tag` in progress.
    for (let extra = utf8Length(char) - 1; next !== null && extra > 0; extra -= 1) {
      next = next.next(REPLACEMENT_CHAR, seen);
    }
    if (next === null) {
      tokens.push(sql.slice(start, end));
      start = end;
      state = READY;
    } else {
      state = next;
    }
    i = end;
  }
  // Whatever follows the last `;` (even just a newline) is a final token, as at EOF in Go.
  if (start < sql.length) tokens.push(sql.slice(start));
  return tokens;
}

/** strings.TrimRight(token, ";"): every trailing semicolon, not just one. */
function trimTrailingSemicolons(token: string): string {
  let end = token.length;
  while (end > 0 && token.charCodeAt(end - 1) === SEMICOLON) end -= 1;
  return token.slice(0, end);
}

/** strings.TrimSpace with Go's notion of space (keeps U+FEFF, strips U+0085). */
function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charCodeAt(start))) start += 1;
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/**
 * The elements the Supabase CLI stores in `schema_migrations.statements` for a migration file
 * with this content (`parser.SplitAndTrim`): each token loses its trailing `;` and then its
 * surrounding whitespace, and tokens left empty (blank lines, stray `;`) are dropped. Comments
 * stay with the statement they precede; a comment after the last `;` is an element of its own.
 * Pass the file content as read, BOM included: the CLI does not strip it.
 */
export function splitLikeSupabase(sql: string): string[] {
  const statements: string[] = [];
  for (const token of splitSupabaseTokens(sql)) {
    const statement = goTrimSpace(trimTrailingSemicolons(token));
    if (statement.length > 0) statements.push(statement);
  }
  return statements;
}
