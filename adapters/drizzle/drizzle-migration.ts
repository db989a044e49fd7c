import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { findNonTransactionalStatement } from '../../src/db/sql-lexer.js';
import { readDownScriptFile } from '../../src/discover/script-text.js';

/**
 * What discover() hands to apply()/revert() for one drizzle migration (DiscoveredMigration<DrizzleMigrationMeta>.meta).
 */
export interface DrizzleMigrationMeta {
  format: DrizzleFormat;
  /** What drizzle records as created_at: the journal's `when` (0.x), the folder's timestamp (1.0). */
  when: number;
  /** The folder name in the 1.0 format, which its history records as `name`. */
  folderName?: string;
  /** The whole file text (hashed as is). */
  text: string;
  /** The file split the way drizzle splits it. */
  chunks: SqlChunk[];
  downFile?: string;
  downText?: string;
}

/** 'journal': drizzle-kit 0.x (meta/_journal.json + <tag>.sql). 'folders': drizzle 1.0 (<timestamp>_<name>/migration.sql). */
export type DrizzleFormat = 'journal' | 'folders';

export interface SqlChunk {
  text: string;
  /** Character offset of the chunk in the file, to map error positions back to the file. */
  offset: number;
}

export const BREAKPOINT = '--> statement-breakpoint';

/**
 * Drizzle's hash: SHA-256 hex of the file text as read (no line-ending normalisation, unlike
 * Prisma), so a CRLF checkout of the same file counts as a different hash, as it does for drizzle.
 */
export function drizzleHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Split exactly as drizzle does: on the marker, no trimming. Each chunk is sent as its own
 * query, so a chunk may hold several statements (drizzle-kit writes one per chunk).
 */
export function splitOnBreakpoints(text: string): SqlChunk[] {
  const chunks: SqlChunk[] = [];
  let offset = 0;
  for (const piece of text.split(BREAKPOINT)) {
    chunks.push({ text: piece, offset });
    offset += piece.length + BREAKPOINT.length;
  }
  return chunks;
}

/**
 * One migration of either format, from its text and its down file (if present): both formats
 * record the same facts, they only find the files and `when` differently.
 */
export function drizzleMigration(input: {
  id: string;
  name?: string;
  file: string;
  text: string;
  downFile: string;
  /** Why the file cannot be applied as read (see decodeScript). */
  problem?: string;
  format: DrizzleFormat;
  when: number;
  folderName?: string;
}): DiscoveredMigration<DrizzleMigrationMeta> {
  const downText = fs.existsSync(input.downFile) ? readDownScriptFile(input.downFile) : undefined;
  const meta: DrizzleMigrationMeta = {
    format: input.format,
    when: input.when,
    text: input.text,
    chunks: splitOnBreakpoints(input.text),
    ...(input.folderName ? { folderName: input.folderName } : {}),
    ...(downText !== undefined ? { downFile: input.downFile, downText } : {}),
  };
  return {
    id: input.id,
    ...(input.name ? { name: input.name } : {}),
    path: input.file,
    checksum: drizzleHash(input.text),
    hasDown: downText !== undefined,
    transactional: findNonTransactionalStatement(input.text) === undefined,
    meta,
    ...(input.problem ? { invalid: `${input.file}: ${input.problem}` } : {}),
  };
}
