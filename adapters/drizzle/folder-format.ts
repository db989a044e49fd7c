import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import type { DirectoryEntry } from '../../src/discover/read-migration-directory.js';
import { readScriptFile } from '../../src/discover/script-text.js';
import { MigrationFileError } from '../../src/errors.js';
import { drizzleMigration, type DrizzleFormat, type DrizzleMigrationMeta } from './drizzle-migration.js';
import { journalPath } from './journal-format.js';

const FOLDER = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_(.+)$/;

/**
 * Which layout a migrations folder uses. A journal means drizzle-kit 0.x (even if folders lie
 * around); otherwise a `<timestamp>_<name>/migration.sql` folder means drizzle 1.0. With neither,
 * the 0.x reader reports the missing journal.
 */
export function detectFormat(dir: string, entries: DirectoryEntry[]): DrizzleFormat {
  if (fs.existsSync(journalPath(dir))) return 'journal';
  const hasFolder = entries.some((e) => e.isDirectory() && FOLDER.test(e.name) && fs.existsSync(path.join(dir, e.name, 'migration.sql')));
  return hasFolder ? 'folders' : 'journal';
}

/**
 * drizzle 1.0: one folder per migration, applied in name (timestamp) order; its history records
 * the folder name. created_at is taken from the folder's UTC timestamp.
 */
export function discoverFolders(dir: string, entries: DirectoryEntry[]): DiscoveredMigration<DrizzleMigrationMeta>[] {
  const folders = entries
    .filter((e) => e.isDirectory() && e.name !== 'meta')
    .map((e) => e.name)
    .sort();
  const migrations: DiscoveredMigration<DrizzleMigrationMeta>[] = [];
  for (const folder of folders) {
    const match = FOLDER.exec(folder);
    const file = path.join(dir, folder, 'migration.sql');
    if (!match) {
      throw new MigrationFileError(path.join(dir, folder), "does not follow drizzle's <YYYYMMDDHHMMSS>_<name> folder pattern.", 'Rename it, or move it out of the migrations folder.');
    }
    if (!fs.existsSync(file)) {
      throw new MigrationFileError(file, 'does not exist: every migration folder needs a migration.sql.', 'Restore it, or remove the folder.');
    }
    const [, y, mo, d, h, mi, s, name] = match as unknown as string[];
    const when = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const { text, problem } = readScriptFile(file);
    migrations.push(
      drizzleMigration({
        id: folder,
        ...(name ? { name } : {}),
        file,
        text,
        ...(problem ? { problem } : {}),
        downFile: path.join(dir, folder, 'down.sql'),
        format: 'folders',
        when,
        folderName: folder,
      }),
    );
  }
  return migrations;
}
