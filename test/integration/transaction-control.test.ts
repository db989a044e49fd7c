import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { ALL_ENGINES, expectHistoryMatchesCatalog, type EngineUnderTest } from '../helpers/engine-under-test.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Migrations that take control of transactions themselves, through every SQL engine, as the first
 * step of a run and as a later one (after a plain migration of the same run): they run the way
 * their engine runs them, and the history never says more than what committed.
 */
type Position = 'first' | 'later';

async function setUp(engine: EngineUnderTest, position: Position) {
  const db = await createTestDatabase(`tc_${engine.kind}`);
  const project = new TempProject();
  project.config({ engines: [engine.config] });
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
  const before = position === 'later' ? engine.write(project, 1, 'before', 'CREATE TABLE before_it (id int);\n') : undefined;
  const cleanup = async () => {
    await db.drop();
    project.cleanup();
  };
  return { db, project, cli, before, cleanup, n: position === 'later' ? 2 : 1 };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const tables = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY 1")).map((r) => r.t);

const SELF_WRAPPED = [
  '-- Prisma does not automatically wrap PostgreSQL migrations in a transaction.',
  'BEGIN;',
  'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;',
  'CREATE TABLE backfill (id int PRIMARY KEY, v text);',
  "INSERT INTO backfill SELECT g, 'v' || g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;",
  "INSERT INTO backfill SELECT g, 'w' FROM generate_series(50, 150) g ON CONFLICT DO NOTHING;",
  "CREATE TABLE isolation_seen AS SELECT current_setting('transaction_isolation') AS level;",
  'COMMIT;',
  '',
].join('\n');

describe.each(ALL_ENGINES.flatMap((engine) => (['first', 'later'] as const).map((position) => ({ engine, position, label: `${engine.kind}, ${position} step` }))))(
  'transaction control ($label)',
  ({ engine, position }) => {
    it('BEGIN; SET TRANSACTION ISOLATION LEVEL …; backfill; COMMIT applies in its own transaction, at the isolation it asked for', async () => {
      const t = await setUp(engine, position);
      cleanups.push(t.cleanup);
      const id = engine.write(t.project, t.n, 'backfill', SELF_WRAPPED);
      const after = engine.write(t.project, t.n + 1, 'after', "CREATE TABLE after_it AS SELECT current_setting('transaction_isolation') AS level;\n");
      const up = await t.cli('up', '--json');
      expect(up.code, up.stderr).toBe(0);
      expect(up.json().results.map((r: any) => r.status)).toEqual(up.json().results.map(() => 'applied'));
      expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM backfill')).toEqual([{ n: 150 }]);
      expect(await query(t.db.url, 'SELECT level FROM isolation_seen')).toEqual([{ level: 'repeatable read' }]);
      // The next migration starts from the session as the run began: the default isolation.
      expect(await query(t.db.url, 'SELECT level FROM after_it')).toEqual([{ level: 'read committed' }]);
      const states = await expectHistoryMatchesCatalog(t.cli, t.db.url, [
        { id, tables: ['backfill', 'isolation_seen'] },
        { id: after, tables: ['after_it'] },
        ...(t.before ? [{ id: t.before, tables: ['before_it'] }] : []),
      ]);
      expect(states[id]).toBe('applied');
      expect((await t.cli('up', '--json')).json().results).toEqual([]);
    });

    it('two transactions, the second failing: recorded as the engine records a partial failure, or refused before running', async () => {
      const t = await setUp(engine, position);
      cleanups.push(t.cleanup);
      const id = engine.write(t.project, t.n, 'two_blocks', 'BEGIN;\nCREATE TABLE a_part (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b_part (id int REFERENCES missing_table (id));\nCOMMIT;\n');
      const up = await t.cli('up', '--json');
      const states = await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['a_part', 'b_part'] }]);
      if (engine.kind === 'drizzle' || engine.kind === 'supabase') {
        // No failed state in their history: refused before anything ran, before-migration included.
        expect(up.code).toBe(5);
        expect(up.json().plan.refusals[0].message).toMatch(/commits in several steps .* history has no failed state/);
        expect(up.json().plan.refusals[0].message).toMatch(/:3:1\)\.$/);
        expect(await tables(t.db.url)).toEqual([]);
        expect(states[id]).toBe('pending');
        return;
      }
      expect(up.code).toBe(1);
      const failed = up.json().results.find((r: any) => r.status === 'failed');
      expect(failed.error.message).toMatch(/relation "missing_table" does not exist \(at .*:5:\d+, statement 5 of 6\) — what it ran before its own COMMIT had committed/);
      expect(failed.error.line).toBe(5);
      expect(states[id]).toBe('failed');
      expect(await tables(t.db.url)).toEqual([...(t.before ? ['a_part', 'before_it'] : ['a_part'])]);
      // And up refuses until it is resolved, naming the command.
      const blocked = await t.cli('up');
      expect(blocked.code).toBe(5);
      expect(blocked.stderr).toContain(`polymigrate resolve app ${id}`);
      if (engine.kind === 'prisma') {
        const [row] = await query<{ logs: string; finished_at: Date | null }>(t.db.url, 'SELECT logs, finished_at FROM _prisma_migrations WHERE migration_name = $1', [id]);
        expect(row!.finished_at).toBeNull();
        expect(row!.logs).toMatch(/Migration name: .*\n\nDatabase error code: 42P01\n\nDatabase error:\nrelation "missing_table" does not exist/);
      }
    });

    it('a ROLLBACK in the middle is refused before anything runs', async () => {
      const t = await setUp(engine, position);
      cleanups.push(t.cleanup);
      const id = engine.write(t.project, t.n, 'rolls_back', 'CREATE TABLE r1 (id int);\nROLLBACK;\nCREATE TABLE r2 (id int);\n');
      // status says so before any deploy: the same check up makes, a problem (exit 4) naming the line.
      const status = await t.cli('status', '--json');
      expect(status.code, status.stderr).toBe(4);
      expect(status.json().engines[0].problems).toContainEqual(expect.objectContaining({ migrationId: id, message: expect.stringMatching(/ROLLBACK .* discards .*:2:1\)\.$/) }));
      const up = await t.cli('up', '--json');
      expect(up.code).toBe(5);
      expect(up.json().plan.refusals[0]).toMatchObject({ engine: 'app', id });
      expect(up.json().plan.refusals[0].message).toMatch(/ROLLBACK .* discards .*:2:1\)\.$/);
      expect(await tables(t.db.url)).toEqual([]);
      await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['r1', 'r2'] }]);
    });

    it('a BEGIN that is never committed is refused; a failing statement inside a BEGIN block reports its own error', async () => {
      const t = await setUp(engine, position);
      cleanups.push(t.cleanup);
      // dbmate-style directive for the SQL folders: statement by statement, as psql -f runs them.
      const directive = engine.kind === 'sql' ? '-- migrate:up transaction:false\n' : '';
      engine.write(t.project, t.n, 'block', `${directive}BEGIN;\nCREATE TABLE never (id int);\n`);
      const refused = await t.cli('up', '--json');
      expect(refused.code).toBe(5);
      expect(refused.json().plan.refusals[0].message).toMatch(/BEGIN is never committed/);
      expect(await tables(t.db.url)).toEqual([]);

      // The same migration, now with a COMMIT and a statement that fails inside the block.
      const id = engine.write(t.project, t.n, 'block', `${directive}BEGIN;\nCREATE TABLE zero (id int);\nSELECT 1/0;\nCOMMIT;\n`);
      const up = await t.cli('up', '--json');
      expect(up.code, up.stderr).toBe(1);
      const failed = up.json().results.find((r: any) => r.status === 'failed');
      // The real error, not "current transaction is aborted", pinned to its statement.
      expect(failed.error.message).toMatch(/^division by zero \(at .*:\d+:1, statement 3 of 4\) — nothing of the migration had committed/);
      const states = await expectHistoryMatchesCatalog(t.cli, t.db.url, [{ id, tables: ['zero'] }]);
      // Prisma records every failure of such a script as failed (P3009), as Prisma does; the others leave it pending.
      expect(states[id]).toBe(engine.kind === 'prisma' ? 'failed' : 'pending');
      expect(await tables(t.db.url)).toEqual(t.before ? ['before_it'] : []);
    });
  },
);
