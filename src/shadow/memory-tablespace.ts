import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quoteIdent } from '../db/quote.js';
import { sqlLiteral } from '../db/sql-literal.js';
import { giveTo, type ServerUser } from './server-user.js';
import type { ShadowDatabases } from './shadow-databases.js';
import type { ShadowServer } from './shadow-server.js';

/**
 * The embedded server's tablespace in memory (tmpfs), where a replay's scratch database goes.
 *
 * Why: a scratch database is a file copy of a cached template (CREATE DATABASE … TEMPLATE,
 * STRATEGY FILE_COPY) — for an 800-migration history some 2,400 files. On an ext4 disk that copy
 * takes 0.1–1.9 s depending on whether it meets a journal commit; on tmpfs 50–90 ms. The scratch
 * is thrown away when the command ends, so losing it at a reboot costs nothing. Cached templates
 * never go here (template-cache.ts says pg_default explicitly): they must survive a reboot.
 *
 * Only the embedded server (a user's shadowUrl server is never given a tablespace), only Linux,
 * only when /dev/shm is a tmpfs this process may write to. After a reboot the folder is gone but
 * the catalog still names it: the tablespace is dropped (with the scratch databases left in it,
 * whose files went with it) and made again. Anything unexpected: the disk, and one warning.
 */
export const MEMORY_TABLESPACE = 'polymigrate_scratch';
/** Said explicitly where a copy of a scratch database must stay on disk (a new template). */
export const DISK_TABLESPACE = 'pg_default';

const SHM = '/dev/shm';
/** statfs f_type of tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
/** What an empty database is taken to grow to during a cold replay, for the room check. */
const EMPTY_DATABASE_BYTES = 64 * 1024 * 1024;
/** Left free in /dev/shm beyond 3× the copy: other programs use it too (POSIX shared memory). */
const HEADROOM_BYTES = 256 * 1024 * 1024;

/** Where the embedded server's memory tablespace lives, and whose it must be. */
export interface MemoryPlace {
  /** `/dev/shm/polymigrate-<12 hex of sha256(dataDir)>-pg<major>`: one per data folder and major. */
  location: string;
  /** The OS user the server runs as when it is not us (root runs it as `postgres`). */
  owner: ServerUser | undefined;
}

/** The place for an embedded server's data folder: undefined off Linux (no /dev/shm tmpfs there). */
export function memoryPlaceFor(dataDir: string, major: number, owner: ServerUser | undefined): MemoryPlace | undefined {
  if (process.platform !== 'linux') return undefined;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return { location: path.join(SHM, `polymigrate-${hash}-pg${major}`), owner };
}

/**
 * Each folder's set-up, one at a time in this process: two shadows of one process share the
 * server, and one must not take for a leftover (and empty) the folder the other is making.
 */
const settingUp = new Map<string, Promise<unknown>>();

export class MemoryTablespace {
  private usable: boolean | undefined;
  private ready: Promise<boolean> | undefined;

  constructor(
    private readonly server: ShadowServer,
    private readonly databases: ShadowDatabases,
    private readonly place: MemoryPlace,
    private readonly warn: (line: string) => void,
  ) {}

  /** /dev/shm is a tmpfs we may write to (checked once). False is no failure: the disk, silently. */
  available(): boolean {
    this.usable ??= shmUsable();
    return this.usable;
  }

  /** A copy of `source` (undefined: a new empty database) fits: 3× its size + 256 MB free in /dev/shm. */
  async hasRoomFor(source: string | undefined): Promise<boolean> {
    let bytes = EMPTY_DATABASE_BYTES;
    if (source !== undefined) {
      const { rows } = await this.server.admin.query<{ bytes: string }>('SELECT pg_database_size($1)::text AS bytes', [source]);
      bytes = Number(rows[0]!.bytes);
    }
    const free = freeBytes();
    return free !== undefined && free >= 3 * bytes + HEADROOM_BYTES;
  }

  /**
   * The tablespace exists and its folder is there (made now if not): true. False: the disk, for
   * the rest of this shadow; a failure has been warned about once.
   */
  ensure(): Promise<boolean> {
    this.ready ??= this.make().then(
      () => true,
      (error: unknown) => {
        this.failed('it could not be set up', error);
        return false;
      },
    );
    return this.ready;
  }

  /** A scratch database could be made on disk but not in memory: warn once, use the disk from now on. */
  failed(what: string, error: unknown): void {
    if (this.usable === false) return;
    this.usable = false;
    this.ready = Promise.resolve(false);
    this.warn(`The shadow keeps its scratch databases on disk, not in memory (${this.place.location}): ${what} (${(error as Error).message}). Replays that copy a long history are slower.`);
  }

  private make(): Promise<void> {
    const { location } = this.place;
    const turn = (settingUp.get(location) ?? Promise.resolve()).then(() => this.makeNow());
    settingUp.set(
      location,
      turn.catch(() => undefined),
    );
    return turn;
  }

  private async makeNow(): Promise<void> {
    const found = await this.catalogEntry();
    if (found && found.location === this.place.location && inUse(found.location)) return;
    if (found) await this.dropGone(found.oid);
    this.prepareFolder();
    await this.server.admin.query(`CREATE TABLESPACE ${quoteIdent(MEMORY_TABLESPACE)} LOCATION ${sqlLiteral(this.place.location)}`);
  }

  private async catalogEntry(): Promise<{ oid: number; location: string } | undefined> {
    const { rows } = await this.server.admin.query<{ oid: number; location: string }>(
      'SELECT oid::int AS oid, pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = $1',
      [MEMORY_TABLESPACE],
    );
    return rows[0];
  }

  /**
   * The catalog's tablespace whose folder is gone (a reboot emptied /dev/shm) or elsewhere (the data
   * folder moved): its databases first — scratch ones, already dropped by dropStaleTransients at
   * open unless one failed; DROP TABLESPACE checks only its folder, not who still names it — then
   * the tablespace.
   */
  private async dropGone(oid: number): Promise<void> {
    const { rows } = await this.server.admin.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE dattablespace = $1', [oid]);
    for (const { name } of rows) await this.databases.drop(name); // refuses a database that is not ours
    await this.server.admin.query(`DROP TABLESPACE ${quoteIdent(MEMORY_TABLESPACE)}`);
  }

  /**
   * An empty folder of the server's user, mode 0700, as CREATE TABLESPACE wants it. /dev/shm is
   * everyone's: a folder of that name that is not a directory of that user is not ours to take.
   */
  private prepareFolder(): void {
    const { location, owner } = this.place;
    const uid = owner?.uid ?? process.getuid?.();
    const existing = fs.lstatSync(location, { throwIfNoEntry: false });
    if (existing && (!existing.isDirectory() || existing.uid !== uid)) {
      throw new Error(`${location} exists and is not a folder of the server's OS user`);
    }
    // Left by a tablespace the catalog no longer has (a data folder made anew): nothing in it is used.
    if (existing) fs.rmSync(location, { recursive: true });
    fs.mkdirSync(location, { mode: 0o700 }); // a umask only takes bits away: never more open than 0700
    giveTo(owner, location);
  }
}

/** /dev/shm is there, a tmpfs, and writable by us: anything else means "no memory here", silently. */
function shmUsable(): boolean {
  try {
    if (fs.statfsSync(SHM).type !== TMPFS_MAGIC) return false;
    fs.accessSync(SHM, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function freeBytes(): number | undefined {
  try {
    const stats = fs.statfsSync(SHM);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** The tablespace's folder holds PostgreSQL's version folder (PG_15_…): it was not emptied by a reboot. */
function inUse(location: string): boolean {
  try {
    return fs.readdirSync(location).some((name) => name.startsWith('PG_'));
  } catch {
    return false;
  }
}
