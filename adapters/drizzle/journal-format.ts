import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration, EngineProblem } from '../../src/adapter/contract.js';
import { readScriptFile, type ScriptText } from '../../src/discover/script-text.js';
import { isMissing, unreadable } from '../../src/discover/unreadable-path.js';
import { MigrationFileError } from '../../src/errors.js';
import { drizzleMigration, type DrizzleMigrationMeta } from './drizzle-migration.js';

export interface JournalEntry {
  tag: string;
  when: number;
}

export function journalPath(dir: string): string {
  return path.join(dir, 'meta', '_journal.json');
}

/** meta/_journal.json's entries, in journal order (the order drizzle applies them). */
export function readJournal(dir: string): JournalEntry[] {
  const file = journalPath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (!isMissing(file, error)) throw unreadable(file, error);
    throw new MigrationFileError(
      file,
      'does not exist, and drizzle cannot migrate without it.',
      'drizzle-kit generate writes it. If this folder is in the drizzle 1.0 format (<timestamp>_<name>/migration.sql), check that "migrations" points at it.',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MigrationFileError(file, `is not valid JSON: ${(error as Error).message}`, 'Restore it from version control (drizzle-kit writes it; it is not meant to be edited by hand).');
  }
  const entries = (raw as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    throw new MigrationFileError(file, 'has no "entries" array.', 'Restore it from version control or re-generate it with drizzle-kit.');
  }
  const seen = new Set<string>();
  return entries.map((entry: unknown, index: number) => {
    const { tag, when } = (entry ?? {}) as { tag?: unknown; when?: unknown };
    if (typeof tag !== 'string' || tag === '' || typeof when !== 'number' || !Number.isSafeInteger(when)) {
      throw new MigrationFileError(
        file,
        `entries[${index}] needs a string "tag" and an integer "when" (got ${JSON.stringify(entry)}).`,
        'Restore the entry from version control or re-generate it with drizzle-kit.',
      );
    }
    if (seen.has(tag)) throw new MigrationFileError(file, `lists the tag "${tag}" twice.`, 'Remove the duplicate entry.');
    seen.add(tag);
    return { tag, when };
  });
}

/** drizzle-kit 0.x: the journal decides which files exist and in which order; other .sql files are ignored, as drizzle does. */
export function discoverJournal(dir: string): DiscoveredMigration<DrizzleMigrationMeta>[] {
  return readJournal(dir).map(({ tag, when }) => {
    const file = path.join(dir, `${tag}.sql`);
    let script: ScriptText;
    try {
      script = readScriptFile(file);
    } catch (error) {
      if (!isMissing(file, (error as Error).cause)) throw error;
      throw new MigrationFileError(
        file,
        `is listed in meta/_journal.json (tag "${tag}") but does not exist.`,
        'Restore the file, or remove its entry from the journal if the migration was never applied anywhere.',
      );
    }
    const name = /^\d+_(.+)$/.exec(tag)?.[1];
    return drizzleMigration({
      id: tag,
      ...(name ? { name } : {}),
      file,
      text: script.text,
      ...(script.problem ? { problem: script.problem } : {}),
      downFile: path.join(dir, `${tag}.down.sql`),
      format: 'journal',
      when,
    });
  });
}

/**
 * `.sql` files in the out folder that the journal does not list: drizzle-kit never applies them,
 * and neither does polymigrate — said as a warning, because real projects have such files (a
 * migration written by hand and never added to the journal, a leftover of a squash).
 */
export function strayFileWarnings(dir: string, discovered: DiscoveredMigration<DrizzleMigrationMeta>[]): EngineProblem[] {
  if (!fs.existsSync(journalPath(dir))) return [];
  const listed = new Set(discovered.map((m) => path.basename(m.path)));
  const stray = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !f.endsWith('.down.sql') && !listed.has(f))
    .sort();
  return stray.map((file) => ({
    severity: 'warning' as const,
    message: `${path.join(dir, file)} is not listed in meta/_journal.json, so neither drizzle-kit nor polymigrate will ever apply it.`,
    fix: 'If it is a migration, add it with drizzle-kit (generate --custom, then move its SQL there); otherwise move it out of the migrations folder.',
  }));
}
