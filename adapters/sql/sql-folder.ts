import path from 'node:path';
import { hash } from 'node:crypto';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { MigrationFileError } from '../../src/errors.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { readDownScriptFile, readScriptFile } from '../../src/discover/script-text.js';
import { hasSqlOutsideLineComments, parseSqlFile, type SqlSection } from './sql-file.js';

/** `<version>_<name>.sql`, the Supabase CLI's pattern too. */
const FILE_PATTERN = /^(\d+)_(.+)\.sql$/;

/** What discover() learns of one SQL migration, for its runner (DiscoveredMigration.meta). */
export interface SqlMeta {
  version: string;
  name: string;
  /** The whole file, kept for the Supabase CLI's `statements` (which it splits from the whole file). */
  content?: string;
  up: SqlSection;
  down?: SqlSection;
  /** File that holds the down section. */
  downFile?: string;
}

export type SqlMigration = DiscoveredMigration<SqlMeta>;

/** Checksum of a SQL file: SHA-256 hex of its text with CRLF folded to LF (line endings are not edits). */
export function sqlChecksum(content: string): string {
  return hash('sha256', content.includes('\r') ? content.replace(/\r\n/g, '\n') : content, 'hex');
}

interface FolderListing {
  /** The folder, with a trailing separator: names are appended to it. */
  folder: string;
  /** Every file name, for finding down files. */
  files: Set<string>;
  supabase: boolean;
}

/**
 * The migrations of a SQL folder, in numeric version order (1, 3, 10). With Supabase's history a
 * down file is an error: the Supabase CLI would apply it as a migration.
 */
export function discoverSqlFolder(dir: string, engine: string, supabase: boolean): SqlMigration[] {
  const entries = readMigrationDirectory(dir, engine);
  const names = entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  const listing: FolderListing = { folder: path.join(dir, path.sep), files: new Set(names), supabase };
  const found: Array<{ order: bigint; migration: SqlMigration }> = [];
  const versions = new Map<bigint, string>();
  for (const file of names) {
    if (!file.endsWith('.sql')) continue;
    if (file.endsWith('.down.sql')) {
      refuseSupabaseDownFile(listing, file);
      continue;
    }
    const { version, name } = parseFileName(listing.folder + file);
    // 01_x and 1_y are the same version: in apply order (numeric) they would tie.
    const order = BigInt(version);
    const clash = versions.get(order);
    if (clash) {
      throw new MigrationFileError(listing.folder + file, `has the same version ${version} as ${clash} (versions are compared as numbers).`, 'Give each migration a unique version prefix.');
    }
    versions.set(order, file);
    found.push({ order, migration: readSqlMigration(listing, file, version, name) });
  }
  refuseOrphanDownFiles(listing);
  found.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  return found.map((f) => f.migration);
}

function parseFileName(full: string): { version: string; name: string } {
  const match = FILE_PATTERN.exec(path.basename(full));
  if (!match) {
    throw new MigrationFileError(
      full,
      'does not follow the <version>_<name>.sql pattern.',
      'Rename it to e.g. 20260101120000_create_users.sql (polymigrate create ENGINE NAME writes one), or move it out of the migrations folder.',
    );
  }
  return { version: match[1]!, name: match[2]! };
}

function refuseSupabaseDownFile(listing: FolderListing, file: string): void {
  if (!listing.supabase) return;
  // The Supabase CLI's pattern ^([0-9]+)_(.*)\.sql$ matches it: it would run it as a migration.
  throw new MigrationFileError(
    listing.folder + file,
    "is a down file in a folder whose history is the Supabase CLI's, and the Supabase CLI would apply it as a migration (its file pattern ^([0-9]+)_(.*)\\.sql$ matches it).",
    'Move it out of the migrations folder. To undo a Supabase migration, write a new migration that reverts it.',
  );
}

function refuseOrphanDownFiles(listing: FolderListing): void {
  for (const file of listing.files) {
    if (file.endsWith('.down.sql') && !listing.files.has(file.replace(/\.down\.sql$/, '.sql'))) {
      throw new MigrationFileError(
        listing.folder + file,
        'is a down file with no migration beside it.',
        `Expected ${file.replace(/\.down\.sql$/, '.sql')} in the same folder; rename or remove the down file.`,
      );
    }
  }
}

/**
 * One file: its sections and down. A file that cannot be applied as written (bad encoding, an
 * empty up, a down section in a Supabase folder…) is still listed, as `invalid`: status shows it
 * and up refuses it, while the migrations around it stay usable.
 */
function readSqlMigration(listing: FolderListing, file: string, version: string, name: string): SqlMigration {
  const full = listing.folder + file;
  const decoded = readScriptFile(full);
  const content = decoded.text;
  const id = file.slice(0, -'.sql'.length);
  let meta: SqlMeta = { version, name, up: { text: content, lineOffset: 0, transactional: true }, ...(listing.supabase ? { content } : {}) };
  let invalid: string | undefined;
  try {
    if (decoded.problem) throw new MigrationFileError(full, decoded.problem);
    meta = { ...readSections(listing, full, content, id), version, name, ...(listing.supabase ? { content } : {}) };
  } catch (error) {
    if (!(error instanceof MigrationFileError)) throw error;
    invalid = error.hint ? `${error.message} ${error.hint}` : error.message;
  }
  return {
    id,
    name,
    path: full,
    checksum: sqlChecksum(content),
    hasDown: meta.down !== undefined,
    transactional: meta.up.transactional,
    meta,
    ...(invalid ? { invalid } : {}),
  };
}

function readSections(listing: FolderListing, full: string, content: string, id: string): Pick<SqlMeta, 'up' | 'down' | 'downFile'> {
  const parsed = parseSqlFile(full, content);
  if (listing.supabase && parsed.down) {
    throw new MigrationFileError(
      full,
      'has a "-- migrate:down" section, and the Supabase CLI (whose history this folder uses) would run it as part of the migration: to it, the directive is a comment.',
      'Remove the down section; to undo a Supabase migration, write a new migration that reverts it.',
    );
  }
  const sections: Pick<SqlMeta, 'up' | 'down' | 'downFile'> = { up: parsed.up, ...(parsed.down ? { down: parsed.down, downFile: full } : {}) };
  const downName = `${id}.down.sql`;
  if (listing.files.has(downName)) {
    if (parsed.down) throw new MigrationFileError(full, `has a "-- migrate:down" section and a ${downName} file.`, 'Keep one of the two.');
    const downFull = listing.folder + downName;
    const downParsed = parseSqlFile(downFull, readDownScriptFile(downFull), 'down');
    if (downParsed.down) Object.assign(sections, { down: downParsed.down, downFile: downFull });
  }
  if (!hasSqlOutsideLineComments(sections.up.text)) {
    throw new MigrationFileError(full, 'has no SQL to apply (the file or its up section is empty).', 'Write the migration, or delete the file if it was created by mistake.');
  }
  return sections;
}
