import fs from 'node:fs/promises';
import path from 'node:path';
import type { DiscoveredMigration } from '../adapter/contract.js';
import { MEMORY_TABLESPACE, type MemoryTablespace } from './memory-tablespace.js';
import type { ShadowDatabases } from './shadow-databases.js';

/** How many migration files are read at once by the tablespace rule. */
const READ_BATCH = 64;

/**
 * Where one replay's scratch database goes: the embedded server's memory tablespace
 * (memory-tablespace.ts) when it is there, has room for the copy, and no migration names a
 * tablespace; else the disk, as on any other server.
 */
export class ScratchPlacement {
  private mentions: Promise<boolean> | undefined;

  constructor(
    private readonly memory: MemoryTablespace | undefined,
    private readonly databases: ShadowDatabases,
    private readonly discovered: ReadonlyMap<string, DiscoveredMigration[]>,
  ) {}

  /**
   * Make the scratch database `name` — a copy of `source`, or empty — with `make(tablespace)`.
   * One that cannot be made in memory is made on disk; only if that works is memory to blame
   * (warned once, not tried again by this shadow), else the disk's error is the one thrown.
   */
  async make(name: string, source: string | undefined, make: (tablespace: string | undefined) => Promise<void>): Promise<void> {
    if (!(await this.inMemory(source))) return make(undefined);
    try {
      await make(MEMORY_TABLESPACE);
    } catch (error) {
      await this.databases.drop(name).catch(() => undefined);
      await make(undefined);
      this.memory!.failed('a scratch database could not be made there', error);
    }
  }

  private async inMemory(source: string | undefined): Promise<boolean> {
    const { memory } = this;
    if (!memory) return false;
    // A failed size query (a template evicted a moment ago) is the copy's to report, not ours.
    if (!(await memory.hasRoomFor(source).catch(() => false))) return false;
    // The exactness rule: a database whose default tablespace is not pg_default behaves the same
    // except for statements that name a tablespace — `ALTER TABLE … SET TABLESPACE pg_default`
    // would move files in the shadow (a rewrite the live database would not do), `CREATE …
    // TABLESPACE pg_default` would record an explicit tablespace. So if any file of any
    // migration on disk (pending ones too: plan runs them in the same scratch) says
    // `tablespace`, in any case, the scratch stays on disk. Read only when memory would be used.
    this.mentions ??= mentionsTablespace(this.discovered);
    if (await this.mentions) return false;
    return memory.ensure();
  }
}

/**
 * Whether any file of any migration contains `tablespace`, case-insensitively, whatever the engine:
 * a migration that is a folder, every file under it; one that is a file, it and the files beside
 * it named like it up to the first dot (a separate down file: 0001_x.down.sql for 0001_x.sql,
 * which `check` runs in the same scratch). A file that cannot be read counts as yes.
 */
export async function mentionsTablespace(discovered: ReadonlyMap<string, DiscoveredMigration[]>): Promise<boolean> {
  const listings = new Map<string, Promise<string[]>>();
  const paths = [...discovered.values()].flat().map((m) => m.path);
  const files = (await Promise.all(paths.map((p) => filesOf(p, listings).catch(() => [p])))).flat();
  for (let i = 0; i < files.length; i += READ_BATCH) {
    const found = await Promise.all(
      files.slice(i, i + READ_BATCH).map((file) =>
        fs.readFile(file, 'latin1').then(
          (text) => /tablespace/i.test(text),
          () => true,
        ),
      ),
    );
    if (found.includes(true)) return true;
  }
  return false;
}

/** A migration's files; `listings` keeps each folder's file names, read once for all its migrations. */
async function filesOf(migration: string, listings: Map<string, Promise<string[]>>): Promise<string[]> {
  if ((await fs.stat(migration)).isDirectory()) return filesUnder(migration);
  const folder = path.dirname(migration);
  const base = path.basename(migration);
  const stem = `${base.split('.')[0]!}.`;
  let listing = listings.get(folder);
  if (!listing) {
    listing = fs.readdir(folder, { withFileTypes: true }).then((entries) => entries.filter((e) => e.isFile()).map((e) => e.name));
    listings.set(folder, listing);
  }
  const names = (await listing).filter((name) => name !== base && name.startsWith(stem));
  return [migration, ...names.map((name) => path.join(folder, name))];
}

/** Every file under a folder. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(folder, entry.name);
      return entry.isDirectory() ? filesUnder(full) : Promise.resolve([full]);
    }),
  );
  return nested.flat();
}
