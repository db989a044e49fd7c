import { expect } from 'vitest';
import type { TempProject } from './project.js';
import { query } from './database.js';
import type { CliResult } from './run-cli.js';

/**
 * One engine as a test writes migrations for it: where a migration with a given sequence number
 * and name goes on disk, and what id the engine (and `status --json`) gives it. The same case can
 * then be written for every SQL engine: the SQL folders (polymigrate's history and Supabase's),
 * Prisma and Drizzle (drizzle-kit's journal).
 */
export interface EngineUnderTest {
  kind: 'sql' | 'supabase' | 'prisma' | 'drizzle';
  config: Record<string, unknown>;
  /** Write migration `n` (1-based, apply order) and return its id. */
  write(project: TempProject, n: number, name: string, sql: string): string;
  /** The history table polymigrate writes for it, to check rows directly. */
  historyTable: string;
}

const stamp = (n: number) => `2026010${Math.floor(n / 10)}${String(n % 10).padStart(2, '0')}0000`.padEnd(14, '0');

export const ENGINES: Record<EngineUnderTest['kind'], EngineUnderTest> = {
  sql: {
    kind: 'sql',
    config: { kind: 'sql', name: 'app', migrations: 'db' },
    historyTable: 'polymigrate.sql_migrations',
    write(project, n, name, sql) {
      project.write(`db/${n}_${name}.sql`, sql);
      return `${n}_${name}`;
    },
  },
  supabase: {
    kind: 'supabase',
    config: { kind: 'sql', name: 'app', migrations: 'supabase/migrations', history: 'supabase' },
    historyTable: 'supabase_migrations.schema_migrations',
    write(project, n, name, sql) {
      project.write(`supabase/migrations/${stamp(n)}_${name}.sql`, sql);
      return `${stamp(n)}_${name}`;
    },
  },
  prisma: {
    kind: 'prisma',
    config: { kind: 'prisma', name: 'app', migrations: 'prisma/migrations' },
    historyTable: '_prisma_migrations',
    write(project, n, name, sql) {
      project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
      project.write(`prisma/migrations/${stamp(n)}_${name}/migration.sql`, sql);
      return `${stamp(n)}_${name}`;
    },
  },
  drizzle: {
    kind: 'drizzle',
    config: { kind: 'drizzle', name: 'app', migrations: 'db' },
    historyTable: 'drizzle.__drizzle_migrations',
    write(project, n, name, sql) {
      const tag = `${String(n - 1).padStart(4, '0')}_${name}`;
      const journalFile = 'db/meta/_journal.json';
      let entries: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }> = [];
      try {
        entries = JSON.parse(project.read(journalFile)).entries;
      } catch {
        // no journal yet
      }
      entries = entries.filter((e) => e.tag !== tag);
      entries.push({ idx: n - 1, version: '7', when: 1_767_225_600_000 + n * 1000, tag, breakpoints: true });
      entries.sort((a, b) => a.idx - b.idx);
      project.write(journalFile, JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2));
      project.write(`db/${tag}.sql`, sql);
      return tag;
    },
  },
};

export const ALL_ENGINES = Object.values(ENGINES);

/** What a migration leaves in the catalog when every statement of it committed. */
export interface MigrationObjects {
  id: string;
  /** Relations it creates, schema-qualified where not in public ("other.t"). */
  tables: string[];
}

/**
 * The step protocol's first invariant, checked from outside: a migration is recorded applied if
 * and only if everything it does committed. For each migration: `applied` in the engine's history
 * (as `status --json` reads it) ⇒ every relation it creates exists; `pending` ⇒ none of them
 * exists (nothing of it committed); `failed` is the engine's record of a partial failure and
 * allows either. Returns the states, for the test's own expectations.
 */
export async function expectHistoryMatchesCatalog(cli: (...args: string[]) => Promise<CliResult>, url: string, migrations: MigrationObjects[]): Promise<Record<string, string>> {
  const status = await cli('status', '--json');
  const states: Record<string, string> = {};
  for (const engine of status.json().engines) for (const m of engine.migrations) states[m.id] = m.state;
  for (const migration of migrations) {
    const state = states[migration.id];
    expect(state, `${migration.id} is listed by status`).toBeDefined();
    const present: string[] = [];
    for (const table of migration.tables) {
      const [schema, name] = table.includes('.') ? table.split('.') : ['public', table];
      const rows = await query(url, 'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [schema, name]);
      if (rows.length > 0) present.push(table);
    }
    if (state === 'applied') expect(present, `${migration.id} is recorded applied, so all it creates must exist`).toEqual(migration.tables);
    if (state === 'pending') expect(present, `${migration.id} is pending, so nothing of it may have committed`).toEqual([]);
  }
  return states;
}
