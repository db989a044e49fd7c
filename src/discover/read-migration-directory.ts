import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { isMissing, unreadable } from './unreadable-path.js';

/** What engines need of a directory entry: fs.Dirent fits, and so does a followed symbolic link. */
export interface DirectoryEntry {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/**
 * A symbolic link as what it points at, so a linked migration is not silently skipped. A link
 * whose target cannot be read counts as a file: reading it then says what is wrong, where the
 * engine's own rules would have looked at it.
 */
function followed(dir: string, entry: fs.Dirent): DirectoryEntry {
  let target: fs.Stats | undefined;
  try {
    target = fs.statSync(path.join(dir, entry.name));
  } catch {
    target = undefined;
  }
  return { name: entry.name, isFile: () => target === undefined || target.isFile(), isDirectory: () => target?.isDirectory() ?? false };
}

/** List a migration directory, turning the usual mistakes into errors that name the path. */
export function readMigrationDirectory(dir: string, engine: string): DirectoryEntry[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    if (!isMissing(dir, error)) throw unreadable(dir, error, engine);
    throw new ConfigError(
      `${engine}: migration directory ${dir} does not exist.`,
      `Create it, fix "migrations" for engine "${engine}" in the config (paths are relative to the config file), or run polymigrate create ${engine} NAME.`,
    );
  }
  if (!stat.isDirectory()) {
    throw new ConfigError(`${engine}: ${dir} is a file, but "migrations" must be a directory.`, `Point "migrations" for engine "${engine}" at the folder that holds the migrations.`);
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw unreadable(dir, error, engine);
  }
  // Most folders hold no links: the Dirents are handed on as they are.
  return entries.some((entry) => entry.isSymbolicLink()) ? entries.map((entry) => (entry.isSymbolicLink() ? followed(dir, entry) : entry)) : entries;
}
