import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The server's admin URL (embedded, or DATABASE_URL). */
export function adminUrl(): string {
  return inject('adminUrl');
}

/** The password in the admin URL: every CLI run's output is checked for it. */
export function serverPassword(): string {
  return decodeURIComponent(new URL(adminUrl()).password);
}

export function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh database of its own for a test, dropped by `drop()`. */
export async function createTestDatabase(prefix = 'pm'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: urlFor(name),
    name,
    drop: () => withClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function query<R extends Record<string, unknown> = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  return withClient(url, async (c) => (await c.query<R>(text, values)).rows);
}

/**
 * A snapshot of everything a migration tool could change: every schema, table, column, index,
 * constraint, function and sequence, plus the rows of every history table. Two equal snapshots
 * mean the database was left byte-for-byte as it was, for our purposes.
 */
export async function catalogSnapshot(url: string): Promise<string> {
  return withClient(url, async (c) => {
    const parts: unknown[] = [];
    const q = async (sql: string) => parts.push((await c.query(sql)).rows);
    await q(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`);
    await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
             WHERE table_schema NOT IN ('pg_catalog','information_schema') ORDER BY 1,2,3`);
    await q(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1,2,3`);
    await q(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace NOT IN
             (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog','information_schema')) ORDER BY 1,2`);
    await q(`SELECT n.nspname, p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT IN ('pg_catalog','information_schema') ORDER BY 1,2`);
    await q(`SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1,2`);
    const tables = (
      await c.query<{ t: string }>(`SELECT format('%I.%I', table_schema, table_name) AS t FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog','information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`)
    ).rows;
    for (const { t } of tables) parts.push([t, (await c.query(`SELECT * FROM ${t} ORDER BY 1`)).rows]);
    return JSON.stringify(parts);
  });
}
