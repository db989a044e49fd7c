import fs from 'node:fs';
import os from 'node:os';
import { UnreadablePathError } from '../errors.js';

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function whoAmI(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** Why a migration path could not be read, in words, and what to do about it. */
export function unreadable(file: string, error: unknown, engine?: string): UnreadablePathError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const options = { cause: error, ...(engine ? { engine } : {}) };
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new UnreadablePathError(
        file,
        `permission denied (${code})`,
        `Make it readable by the user polymigrate runs as (${whoAmI()}): e.g. chmod a+r on a file, a+rx on a folder and on every folder above it; or run polymigrate as its owner.`,
        options,
      );
    case 'EISDIR':
      return new UnreadablePathError(file, 'it is a directory, where a file is expected', 'Put the file there, or move the directory out of the migrations folder.', options);
    case 'ELOOP':
      return new UnreadablePathError(file, 'it is a symbolic link that loops (ELOOP)', 'Point the link at a real file or folder, or remove it.', options);
    case 'ENOTDIR':
      return new UnreadablePathError(file, 'a part of its path is a file, not a directory (ENOTDIR)', 'Fix the path in the config, or the folder layout.', options);
    case 'ENOENT':
      if (isSymlink(file)) {
        return new UnreadablePathError(file, `it is a symbolic link to ${fs.readlinkSync(file)}, which does not exist`, 'Restore what the link points at, or remove the link.', options);
      }
      return new UnreadablePathError(file, 'it does not exist (it was there a moment ago)', 'Was it moved or deleted while polymigrate ran? Run the command again.', options);
    default:
      return new UnreadablePathError(file, (error as Error | undefined)?.message ?? String(error), 'Check that the path can be read by the user polymigrate runs as.', options);
  }
}

/** True when a missing path is really missing, not a symbolic link whose target is. */
export function isMissing(file: string, error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && !isSymlink(file);
}

/** A migration file's bytes; any failure to read it is an UnreadablePathError naming it. */
export function readMigrationFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw unreadable(file, error);
  }
}
