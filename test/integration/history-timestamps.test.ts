import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { polymigrateHistory } from '../../adapters/sql/sql-history.js';
import { PrismaHistoryTable } from '../../adapters/prisma/prisma-history.js';
import { createTestDatabase } from '../helpers/database.js';

/**
 * History timestamps are read as epoch milliseconds, not parsed by pg from timestamptz text: the
 * Dates must still be exactly the ones pg's own parser builds (microseconds truncated, any
 * session time zone, dates before 1970, rows with the same millisecond kept in time order).
 */
const TIMES = ['2026-03-04 05:06:07.891999+00', '2026-03-04 05:06:07.891001+00', '1969-12-31 23:59:59.999999+00', '2030-07-01 12:00:00+05:30'];

describe('history timestamps', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('times');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Not UTC on purpose: the text pg would parse then carries an offset.
    await client.query(`SET TIME ZONE 'America/Sao_Paulo'`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('the SQL engine reads the same instants, in the same order, as pg parses them', async () => {
    const store = polymigrateHistory('polymigrate', 'app');
    await store.prepare(client);
    for (const [i, at] of TIMES.entries()) {
      await client.query(
        `INSERT INTO polymigrate.sql_migrations (engine, id, checksum, applied_at, finished_at)
        VALUES ('app', $1, 'c', $2, CASE WHEN $3 THEN now() END)`,
        [`m${i}`, at, i !== 3],
      );
    }
    const expected = (await client.query<{ id: string; applied_at: Date }>(`SELECT id, applied_at FROM polymigrate.sql_migrations ORDER BY applied_at, id`)).rows;
    const history = await store.read(client);
    expect(history.map((h) => [h.id, h.appliedAt?.toISOString()])).toEqual(expected.map((r) => [r.id, r.applied_at.toISOString()]));
    expect(history.map((h) => h.id)).toEqual(['m2', 'm1', 'm0', 'm3']);
    expect(history.map((h) => h.state)).toEqual(['applied', 'applied', 'applied', 'failed']);
    expect(history[2]!.appliedAt!.toISOString()).toBe('2026-03-04T05:06:07.891Z');
  });

  it('the Prisma engine reads the same instants, in the same order, as pg parses them', async () => {
    const table = new PrismaHistoryTable();
    await table.create(client);
    for (const [i, at] of TIMES.entries()) {
      // The last one failed: no finished_at, its started_at shows in the detail.
      await client.query(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, rolled_back_at)
        VALUES ($1, 'c', CASE WHEN $3 THEN $2::timestamptz + interval '1.5 ms' END, $1, $2, CASE WHEN $4 THEN $2::timestamptz END)`,
        [`p${i}`, at, i !== 3, i === 1],
      );
    }
    const expected = (
      await client.query<{ migration_name: string; started_at: Date; finished_at: Date | null; rolled_back_at: Date | null }>(
        `SELECT migration_name, started_at, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at, id`,
      )
    ).rows;
    const history = await table.read(client);
    expect(history.map((h) => h.id)).toEqual(['p2', 'p1', 'p0', 'p3']);
    expect(history.map((h) => h.state)).toEqual(['applied', 'rolled-back', 'applied', 'failed']);
    const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
    expect(
      history.map((h) => {
        const meta = h.meta as { startedAt: Date; finishedAt: Date | null; rolledBackAt: Date | null };
        return [h.id, iso(h.appliedAt), iso(meta.startedAt), iso(meta.finishedAt), iso(meta.rolledBackAt)];
      }),
    ).toEqual(expected.map((r) => [r.migration_name, iso(r.finished_at ?? r.started_at), iso(r.started_at), iso(r.finished_at), iso(r.rolled_back_at)]));
    expect(history[3]!.detail).toContain('started 2030-07-01T06:30:00.000Z, never finished (Prisma P3009)');
  });
});
