import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf } from '../../../src/deploy-plan/findings.js';
import { assessFinding, migrationRisk, sizeLookup } from '../../../src/deploy-plan/risk.js';
import { queueFindings } from '../../../src/deploy-plan/rules/live-queue.js';
import { readLiveSnapshot, touchedRelations } from '../../../src/deploy-plan/sizes.js';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { MigrationTrace } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';
import { testBudget } from '../../helpers/time-budget.js';

/**
 * The live side of `plan`: a migration traced on a small shadow, sized against a live database
 * that has a few hundred thousand rows — read from the catalog only — and the transactions open
 * there right now, held by the test itself.
 */
describe('live sizes and open transactions', () => {
  let shadowDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let liveDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let shadow: pg.Client;
  let live: pg.Client;
  let holder: pg.Client;
  let trace: MigrationTrace;
  const schema = 'CREATE SCHEMA app; CREATE TABLE app.events (id bigint PRIMARY KEY, amount int, note text)';

  beforeAll(
    async () => {
      [shadowDb, liveDb] = await Promise.all([createTestDatabase('shadow'), createTestDatabase('live')]);
      [shadow, live, holder] = [
        new pg.Client({ connectionString: shadowDb.url }),
        new pg.Client({ connectionString: liveDb.url }),
        new pg.Client({ connectionString: liveDb.url, application_name: 'reporting job' }),
      ];
      await Promise.all([shadow.connect(), live.connect(), holder.connect()]);
      await shadow.query(`${schema}; INSERT INTO app.events SELECT g, g, 'n' FROM generate_series(1, 10) g`);
      await live.query(schema);
      trace = await traceMigration(shadow, {
        engine: 'sql',
        id: '0003_amount_bigint',
        transactional: true,
        statements: [{ sql: 'ALTER TABLE app.events ALTER COLUMN amount TYPE bigint', file: '0003.sql', line: 1 }],
      });
    },
    testBudget({ query: 6 }),
  );
  afterAll(async () => {
    await Promise.all([shadow?.end(), live?.end(), holder?.end()]);
    await Promise.all([shadowDb?.drop(), liveDb?.drop()]);
  });

  async function fill(rows: number): Promise<void> {
    await live.query(`TRUNCATE app.events; INSERT INTO app.events SELECT g, g, 'note ' || g FROM generate_series(1, ${rows}) g; ANALYZE app.events`);
  }
  const relations = () => [...touchedRelations([trace]), { schema: 'app', name: 'not_there_yet' }];

  it(
    'sizes every touched relation from the catalog in two queries, and the level follows the size',
    async () => {
      await fill(300_000);
      const big = await readLiveSnapshot(live, relations());
      expect(big.queries).toBe(2);
      const events = big.relations.find((r) => r.name === 'events')!;
      expect(events).toMatchObject({ exists: true, kind: 'table' });
      expect(events.rows).toBeGreaterThan(270_000);
      expect(events.rows).toBeLessThan(330_000);
      expect(events.totalBytes).toBeGreaterThan(events.tableBytes!);
      expect(events.indexBytes).toBeGreaterThan(0);
      expect(big.relations.find((r) => r.name === 'not_there_yet')).toEqual({ schema: 'app', name: 'not_there_yet', exists: false });

      const rewrite = (snapshot: typeof big) =>
        findingsOf(trace)
          .map((f) => assessFinding(f, sizeLookup(snapshot.relations)))
          .find((f) => f.code === 'PM402')!;
      expect(rewrite(big).level).toBe('high');
      expect(rewrite(big).risk).toMatch(/^rewrites app\.events \(≈\d+ k rows, \d+(\.\d)? MB\) under ACCESS EXCLUSIVE: blocks every read and write/);

      await fill(100);
      const small = await readLiveSnapshot(live, relations());
      expect(small.relations.find((r) => r.name === 'events')!.rows).toBe(100);
      expect(rewrite(small).level).toBe('low');
    },
    testBudget({ query: 8 }),
  );

  it(
    'reports a transaction open on the live database that the migration would queue behind',
    async () => {
      await fill(100);
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM app.events');
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      try {
        const snapshot = await readLiveSnapshot(live, touchedRelations([trace]));
        const open = snapshot.openTransactions.find((t) => t.pid === holderPid);
        expect(open).toMatchObject({ visible: true, applicationName: 'reporting job', state: 'idle in transaction' });
        expect(open!.transactionSeconds).toBeGreaterThanOrEqual(0);
        expect(open!.locks).toContainEqual({ relation: { schema: 'app', name: 'events' }, mode: 'AccessShareLock', granted: true });

        const queued = queueFindings(trace, snapshot);
        expect(queued).toEqual([expect.objectContaining({ code: 'PM306', level: 'critical', relation: { schema: 'app', name: 'events' } })]);
        expect(queued[0]!.message).toContain(`pid ${holderPid}`);
        expect(migrationRisk(trace, queued).level).toBe('critical');
      } finally {
        await holder.query('COMMIT');
      }
      const after = await readLiveSnapshot(live, touchedRelations([trace]));
      expect(after.openTransactions.filter((t) => t.pid === holderPid)).toEqual([]);
    },
    testBudget({ query: 8 }),
  );
});
