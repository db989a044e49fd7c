import type { AdapterCapabilities, DiscoveredMigration, HistoryEntry, MigrationAdapter } from '../../src/adapter/contract.js';

export interface MemoryMigration {
  id: string;
  down?: boolean;
  transactional?: boolean;
  checksum?: string;
  /** Make apply (or revert) throw this message. */
  failUp?: string;
  failDown?: string;
}

/** What the memory engine "writes" for a step: one statement, as a real engine's history write. */
export const memoryStatement = (direction: 'apply' | 'revert', id: string) => `SELECT '${direction} ${id}'`;

/**
 * An in-memory engine for testing the planner and runner without a database: migrations and
 * history are plain arrays; `calls` records what the core asked for, in order.
 */
export function memoryAdapter(
  name: string,
  migrations: MemoryMigration[],
  options: {
    applied?: string[];
    history?: HistoryEntry[];
    capabilities?: Partial<AdapterCapabilities>;
  } = {},
): MigrationAdapter & { rows: HistoryEntry[]; calls: string[] } {
  const rows: HistoryEntry[] =
    options.history ??
    (options.applied ?? []).map((id) => ({
      id,
      state: 'applied' as const,
      checksum: migrations.find((m) => m.id === id)?.checksum ?? `sum-${id}`,
    }));
  const calls: string[] = [];
  const find = (id: string) => migrations.find((m) => m.id === id)!;
  return {
    name,
    kind: 'memory',
    location: `memory:${name}`,
    capabilities: { rollback: 'down-file', ...options.capabilities },
    rows,
    calls,
    source: {
      async discover(): Promise<DiscoveredMigration[]> {
        return migrations.map((m) => ({
          id: m.id,
          path: `/memory/${name}/${m.id}.sql`,
          checksum: m.checksum ?? `sum-${m.id}`,
          hasDown: m.down ?? false,
          transactional: m.transactional ?? true,
        }));
      },
      async create(newName) {
        migrations.push({ id: `${migrations.length + 1}_${newName}`, down: true });
        return { id: `${migrations.length}_${newName}`, files: [] };
      },
    },
    history: {
      async read() {
        return [...rows];
      },
    },
    runner: {
      granularity: 'single',
      transactional: true,
      async apply(migration, ctx) {
        calls.push(`apply ${migration.id} tx=${ctx.inTransaction}`);
        const failure = find(migration.id).failUp;
        if (failure) {
          await ctx.db.query(memoryStatement('apply', migration.id));
          throw new Error(failure);
        }
        await ctx.db.query(memoryStatement('apply', migration.id));
        rows.push({ id: migration.id, state: 'applied', checksum: migration.checksum });
      },
      async revert(migration, ctx) {
        calls.push(`revert ${migration.id} tx=${ctx.inTransaction}`);
        const failure = find(migration.id).failDown;
        await ctx.db.query(memoryStatement('revert', migration.id));
        if (failure) throw new Error(failure);
        const index = rows.findIndex((h) => h.id === migration.id);
        if (index >= 0) rows.splice(index, 1);
      },
    },
    rollbackHint: (_migration, id) => `write a down for ${id}`,
  };
}
