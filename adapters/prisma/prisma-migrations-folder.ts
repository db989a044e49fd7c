import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { ConfigError, MigrationFileError } from '../../src/errors.js';
import { readMigrationDirectory } from '../../src/discover/read-migration-directory.js';
import { findNonTransactionalStatement, splitStatements } from '../../src/db/sql-lexer.js';
import { prismaChecksum } from './prisma-checksum.js';
import { decodeScript, readDownScriptFile } from '../../src/discover/script-text.js';
import { isMissing, unreadable } from '../../src/discover/unreadable-path.js';

export const LOCK_FILE = 'migration_lock.toml';
export const SCRIPT_FILE = 'migration.sql';
export const DOWN_FILE = 'down.sql';

/** What discover() hands to apply()/revert() for one Prisma migration folder. */
export interface PrismaMeta {
  /** migration.sql, absolute. */
  scriptFile: string;
  script: string;
  /** The file's bytes, for the line-ending variants Prisma accepts (computed only on a mismatch). */
  bytes: Buffer;
  /** down.sql, when it exists. */
  downFile?: string;
  downScript?: string;
}

/**
 * Prisma writes `provider = "postgresql"` into migration_lock.toml and refuses to run migrations
 * written for another database; so do we, before anything connects. A missing lock file is
 * accepted, as `prisma migrate deploy` accepts it.
 */
export function checkMigrationLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (!fs.existsSync(file)) return;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(text)?.[1];
  if (provider === 'postgresql' || provider === 'postgres') return;
  throw new ConfigError(
    provider === undefined
      ? `${file} names no provider; polymigrate's Prisma engine needs provider = "postgresql".`
      : `${file} says provider = "${provider}", but polymigrate's Prisma engine runs PostgreSQL migrations only.`,
    'These migrations were generated for another database. Point "migrations" at the PostgreSQL project\'s prisma/migrations, or regenerate the migrations with provider "postgresql" in schema.prisma.',
  );
}

/** migration.sql's bytes; a folder without one is an error that names the folder. */
function readScript(dir: string, folder: string, scriptFile: string): Buffer {
  try {
    // Read straight away rather than probing first: one system call less per migration.
    return fs.readFileSync(scriptFile);
  } catch (error) {
    if (!isMissing(scriptFile, error)) throw unreadable(scriptFile, error);
    throw new MigrationFileError(
      folder,
      `is a folder in the Prisma migrations directory without a ${SCRIPT_FILE}.`,
      `Prisma treats every folder there as a migration: add its ${SCRIPT_FILE}, or move the folder out of ${dir}.`,
    );
  }
}

/**
 * Folder names in Prisma's own order: compared with localeCompare, as the Prisma CLI sorts them.
 * A process's first localeCompare starts ICU's collator (10–20 ms, on every `status`). When every
 * name starts with a timestamp of the same number of digits and no two share one (what `prisma
 * migrate dev` writes), the first difference between two names is a digit inside the timestamps,
 * where the collator and a plain comparison agree: the plain one gives the same order, without ICU.
 */
export function sortPrismaFolders(names: string[]): string[] {
  const stamps = names.map((name) => /^\d+/.exec(name)?.[0]);
  const width = stamps[0]?.length;
  const stampsDecide = stamps.every((stamp) => stamp !== undefined && stamp.length === width) && new Set(stamps).size === names.length;
  return [...names].sort(stampsDecide ? (a, b) => (a < b ? -1 : a > b ? 1 : 0) : (a, b) => a.localeCompare(b));
}

/** The migration folders, in Prisma's order (sortPrismaFolders). */
export function discoverPrismaMigrations(dir: string, engine: string): Array<DiscoveredMigration<PrismaMeta>> {
  const entries = readMigrationDirectory(dir, engine);
  checkMigrationLock(dir);
  const names: string[] = [];
  for (let i = 0; i < entries.length; i += 1) if (entries[i]!.isDirectory()) names.push(entries[i]!.name);
  const folders = sortPrismaFolders(names);
  // Listed names hold no separator: the directory is normalised once instead of path.join per file.
  const base = path.join(dir, path.sep);
  const migrations = new Array<DiscoveredMigration<PrismaMeta>>(folders.length);
  for (let i = 0; i < folders.length; i += 1) {
    const id = folders[i]!;
    const folder = base + id;
    const scriptFile = folder + path.sep + SCRIPT_FILE;
    const bytes = readScript(dir, folder, scriptFile);
    // Prisma's CLI reads the file as UTF-8 text (replacing undecodable bytes) and hashes that text.
    const decoded = decodeScript(bytes);
    const script = decoded.text;
    const meta: PrismaMeta = { scriptFile, script, bytes: decoded.validUtf8 ? bytes : Buffer.from(script, 'utf8') };
    const downFile = folder + path.sep + DOWN_FILE;
    if (fs.existsSync(downFile)) {
      meta.downFile = downFile;
      meta.downScript = readDownScriptFile(downFile);
    }
    migrations[i] = {
      id,
      name: id.replace(/^\d+_/, ''),
      path: folder,
      checksum: prismaChecksum(meta.bytes),
      // A down.sql with only comments (the template `create` writes) reverts nothing: treating it
      // as a down would delete the history row and leave the schema as it was.
      hasDown: meta.downScript !== undefined && splitStatements(meta.downScript).length > 0,
      // Statements PostgreSQL refuses in a transaction send the migration down Prisma's own
      // row-first protocol, statement by statement.
      transactional: findNonTransactionalStatement(script) === undefined,
      meta,
      ...(decoded.problem ? { invalid: `${scriptFile}: ${decoded.problem}` } : {}),
    };
  }
  return migrations;
}
