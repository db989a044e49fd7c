import { isUtf8 } from 'node:buffer';
import { MigrationFileError } from '../errors.js';
import { readMigrationFile } from './unreadable-path.js';

/**
 * A migration file's bytes as text, and why it cannot be applied as read.
 *
 * Every engine decodes a migration file as UTF-8 and, where the bytes are not valid UTF-8,
 * silently puts U+FFFD in their place (Node's decoder: Prisma's CLI, drizzle-kit), so the
 * replacement character would be committed into the database; psql and PostgreSQL refuse such
 * text. A UTF-8 byte-order mark is kept by every engine and reaches PostgreSQL as part of the
 * first word: `syntax error at or near "CREATE"`, the mark invisible. polymigrate refuses both
 * before anything runs, naming the file and the byte.
 *
 * `text` is still the decoded text, as the engines decode it: their checksums (Prisma's, Drizzle's,
 * the SQL folders') are computed over it, so an applied file keeps matching its history row.
 */
export interface ScriptText {
  text: string;
  /** Why the file cannot be applied as read (reported as the migration's `invalid`). */
  problem?: string;
  /** The bytes are valid UTF-8 (then they are exactly the UTF-8 of `text`). */
  validUtf8: boolean;
}

export function decodeScript(bytes: Buffer): ScriptText {
  const text = bytes.toString('utf8');
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    const line = lineAt(bytes, offset);
    return {
      text,
      validUtf8: false,
      problem:
        `is not valid UTF-8: byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at byte offset ${offset} (line ${line}) ` +
        'cannot be decoded; PostgreSQL refuses such text, and engines that decode it themselves would commit U+FFFD (�) in its place. ' +
        'Save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8), then run up again.',
    };
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return {
      text,
      validUtf8: true,
      problem:
        'starts with a UTF-8 byte-order mark (bytes EF BB BF), which PostgreSQL reads as part of the first word ' +
        '(syntax error at or near the first keyword, the mark invisible). Save the file as UTF-8 without a BOM, then run up again.',
    };
  }
  return { text, validUtf8: true };
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong three/four-byte forms, surrogates and code points above U+10FFFF.
    const second = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return bytes.length;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (bytes[i] === 0x0a) line += 1;
  return line;
}

/** Read a migration file as its engine decodes it (see decodeScript). */
export function readScriptFile(file: string): ScriptText {
  return decodeScript(readMigrationFile(file));
}

/** A down file is only run, never checksummed: one that cannot be applied as read is an input error. */
export function readDownScriptFile(file: string): string {
  const decoded = readScriptFile(file);
  if (decoded.problem) throw new MigrationFileError(file, decoded.problem);
  return decoded.text;
}
