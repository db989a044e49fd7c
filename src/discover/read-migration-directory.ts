import fs from 'node:fs';
import { ConfigError } from '../errors.js';

/** List a migration directory, turning the usual mistakes into errors that name the path. */
export function readMigrationDirectory(dir: string, engine: string): fs.Dirent[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ConfigError(`${engine}: migration directory ${dir} does not exist.`,
      `Create it, fix "migrations" for engine "${engine}" in the config (paths are relative to the config file), or run polymigrate create ${engine} NAME.`);
  }
  if (!stat.isDirectory()) {
    throw new ConfigError(`${engine}: ${dir} is a file, but "migrations" must be a directory.`,
      `Point "migrations" for engine "${engine}" at the folder that holds the migrations.`);
  }
  return fs.readdirSync(dir, { withFileTypes: true });
}
