import fs from 'node:fs';
import path from 'node:path';
import type { DiscoveredMigration } from '../adapter/contract.js';
import { MEMORY_TABLESPACE, type MemoryTablespace } from './memory-tablespace.js';
import type { ShadowDatabases } from './shadow-databases.js';

/**
 * Where one replay's scratch database goes: the embedded server's memory tablespace
 * (memory-tablespace.ts) when it is there, has room for the copy, and no migration names a
 * tablespace; else the disk, as on any other server.
 */
export class ScratchPlacement {
  private mentions: boolean | undefined;

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
    if (!memory?.available()) return false;
    // A failed size query (a template evicted a moment ago) is the copy's to report, not ours.
    const room = memory.hasRoomFor(source).catch(() => false);
    // The exactness rule: a database whose default tablespace is not pg_default behaves the same
    // except for statements that name a tablespace — `ALTER TABLE … SET TABLESPACE pg_default`
    // would move files in the shadow (a rewrite the live database would not do), `CREATE …
    // TABLESPACE pg_default` would record an explicit tablespace. So if any file of any
    // migration on disk (pending ones too: plan runs them in the same scratch) says
    // `tablespace`, in any case, the scratch stays on disk. The files are read only where memory
    // can be used, while the server sizes the source.
    this.mentions ??= mentionsTablespace(this.discovered);
    if (!(await room) || this.mentions) return false;
    return memory.ensure();
  }
}

/**
 * Whether any file of any migration contains `tablespace`, case-insensitively, whatever the engine:
 * a migration that is a folder, every file under it; one that is a file, it and the files beside
 * it named like it up to the first dot (a separate down file: 0001_x.down.sql for 0001_x.sql,
 * which `check` runs in the same scratch). A file that cannot be read counts as yes.
 *
 * Synchronous on purpose: 800 small files take 6–10 ms read one after another, 40–90 ms through
 * fs.promises (a thread-pool round trip per open, read and close), more than the copy it decides.
 */
export function mentionsTablespace(discovered: ReadonlyMap<string, DiscoveredMigration[]>): boolean {
  const listings = new Map<string, Map<string, string[]>>();
  for (const migrations of discovered.values()) {
    for (const migration of migrations) {
      try {
        if (filesOf(migration.path, listings).some(mentions)) return true;
      } catch {
        return true; // a folder that cannot be listed
      }
    }
  }
  return false;
}

function mentions(file: string): boolean {
  try {
    return /tablespace/i.test(fs.readFileSync(file, 'latin1'));
  } catch {
    return true;
  }
}

/**
 * A migration's files. `listings`: each folder's files by name up to the first dot, listed once
 * for all the migrations in it (a history of 800 files is one folder).
 */
function filesOf(migration: string, listings: Map<string, Map<string, string[]>>): string[] {
  if (fs.statSync(migration).isDirectory()) return filesUnder(migration);
  const folder = path.dirname(migration);
  let byStem = listings.get(folder);
  if (!byStem) {
    byStem = new Map();
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const stem = stemOf(entry.name);
      byStem.set(stem, [...(byStem.get(stem) ?? []), entry.name]);
    }
    listings.set(folder, byStem);
  }
  const base = path.basename(migration);
  const beside = (byStem.get(stemOf(base)) ?? []).filter((name) => name !== base);
  return [migration, ...beside.map((name) => path.join(folder, name))];
}

function stemOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/** Every file under a folder. */
function filesUnder(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}
