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

/** The snapshot polymigrate/testing ships (every schema, table, column, index, constraint, function, sequence and row). */
export { catalogSnapshot } from '../../src/testing/catalog-snapshot.js';
