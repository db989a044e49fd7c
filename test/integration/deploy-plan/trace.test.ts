import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedStatements } from '../../../src/deploy-plan/captured-log.js';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { MigrationTrace } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';

/**
 * The trace runs a migration's statements for real on a scratch database and reports what
 * PostgreSQL did: locks read from the tracing backend's pg_locks, rewrites from relfilenodes,
 * column and constraint changes from the catalog — and leaves the database as it was, unless told
 * to commit or the statements cannot run in a transaction.
 */
describe('traceMigration', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  const fixture = `
    DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app;
    CREATE TABLE app.events (id bigint PRIMARY KEY, kind text, payload text, amount int);
    INSERT INTO app.events SELECT g, 'k' || (g % 7), 'p', g FROM generate_series(1, 1000) g;
    CREATE TABLE app.users (id int PRIMARY KEY, email text);`;
  const trace = (statements: string[], transactional = true, commit = false): Promise<MigrationTrace> =>
    traceMigration(client, { engine: 'sql', id: 'm1', transactional, statements: statements.map((sql, i) => ({ sql, file: 'm1.sql', line: i + 1 })) }, { commit });

  beforeAll(async () => {
    db = await createTestDatabase('trace');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });
  const reset = () => client.query(fixture);
  const catalog = async () =>
    (
      await client.query(`SELECT c.relname, c.relfilenode, a.attname, format_type(a.atttypid, a.atttypmod) AS t
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    WHERE n.nspname = 'app' ORDER BY 1, 3`)
    ).rows;

  it('reads the locks each statement took from pg_locks, and rolls everything back', async () => {
    await reset();
    const before = await catalog();
    const result = await trace(['ALTER TABLE app.events ADD COLUMN note text', 'CREATE INDEX events_kind ON app.events (kind)', 'SELECT count(*) FROM app.users']);
    expect(result.outcome).toBe('ok');
    expect(result.committed).toBe(false);
    const [add, index, select] = result.statements;
    expect(add!.locks.map((l) => `${l.relation.name}:${l.mode}`)).toContain('events:AccessExclusiveLock');
    expect(add!.locks.every((l) => l.source === 'observed')).toBe(true);
    expect(add!.changes!.columns).toEqual([expect.objectContaining({ kind: 'added', at: expect.objectContaining({ column: 'note' }) })]);
    // The index build takes SHARE on the table; the AccessExclusive from statement 1 is held while it runs.
    expect(index!.locks.map((l) => `${l.relation.name}:${l.mode}`)).toContain('events:ShareLock');
    expect(index!.holding.map((l) => `${l.relation.name}:${l.mode}:${l.takenBy}`)).toContain('events:AccessExclusiveLock:0');
    expect(index!.changes!.newIndexes.map((i) => i.index.name)).toEqual(['events_kind']);
    expect(select!.locks.map((l) => `${l.relation.name}:${l.mode}`)).toContain('users:AccessShareLock');
    expect(select!.locks.find((l) => l.relation.name === 'users')!.blocks).toEqual({ reads: false, writes: false });
    expect(await catalog()).toEqual(before);
  });

  it('sees rewrites as relfilenode changes, and type changes, NOT NULL and renames in the catalog', async () => {
    await reset();
    const result = await trace([
      'ALTER TABLE app.events ALTER COLUMN amount TYPE bigint',
      'ALTER TABLE app.events ALTER COLUMN kind SET NOT NULL',
      'ALTER TABLE app.events RENAME COLUMN payload TO body',
      'ALTER TABLE app.users RENAME TO accounts',
      'ALTER TABLE app.events ALTER COLUMN kind TYPE varchar(20)',
    ]);
    const [type, notNull, renameColumn, renameTable, narrow] = result.statements;
    expect(type!.changes!.rewritten.map((r) => r.relation.name)).toContain('events');
    expect(type!.changes!.columns).toContainEqual(expect.objectContaining({ kind: 'type-changed', from: 'integer', to: 'bigint' }));
    expect(notNull!.changes!.rewritten).toEqual([]);
    expect(notNull!.changes!.columns).toContainEqual(expect.objectContaining({ kind: 'not-null-set' }));
    expect(renameColumn!.changes!.columns).toContainEqual(expect.objectContaining({ kind: 'renamed', to: 'body' }));
    expect(renameTable!.changes!.renamed).toEqual([{ relation: { schema: 'app', name: 'users', kind: 'table' }, to: { schema: 'app', name: 'accounts' } }]);
    // text → varchar(20) needs a check of every row but no rewrite.
    expect(narrow!.changes!.columns).toContainEqual(expect.objectContaining({ kind: 'type-changed', from: 'text', to: 'character varying(20)' }));
  });

  it('reads lock_timeout as it was while each statement ran', async () => {
    await reset();
    const result = await trace(["SET LOCAL lock_timeout = '2s'", 'ALTER TABLE app.events ADD COLUMN x int']);
    expect(result.statements.map((s) => s.lockTimeoutMs)).toEqual([0, 2000]);
  });

  it('runs a CONCURRENTLY statement for real, outside a transaction, with its documented lock', async () => {
    await reset();
    const result = await trace(['CREATE INDEX CONCURRENTLY events_amount ON app.events (amount)', 'ALTER TABLE app.events ADD COLUMN y int'], false);
    expect(result.committed).toBe(true);
    const [cic, add] = result.statements;
    expect(cic!.ranIn).toBe('outside a transaction');
    expect(cic!.locks).toEqual([expect.objectContaining({ mode: 'ShareUpdateExclusiveLock', source: 'documented', relation: expect.objectContaining({ name: 'events' }) })]);
    expect(cic!.changes!.newIndexes.map((i) => i.index.name)).toEqual(['events_amount']);
    expect(add!.ranIn).toBe('committed transaction');
    expect(add!.locks.map((l) => l.mode)).toContain('AccessExclusiveLock');
    expect((await catalog()).some((r) => r.relname === 'events_amount')).toBe(true);
    expect((await catalog()).some((r) => r.attname === 'y')).toBe(true);
  });

  it("stands in for a script's own BEGIN/COMMIT in a transactional trace, and keeps SET TRANSACTION first", async () => {
    await reset();
    const result = await trace(['BEGIN', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'ALTER TABLE app.events ADD COLUMN z int', 'COMMIT']);
    expect(result.outcome).toBe('ok');
    expect(result.statements.map((s) => s.outcome)).toEqual(['control', 'ran', 'ran', 'control']);
    expect((await catalog()).some((r) => r.attname === 'z')).toBe(false);
  });

  it('traces a script that commits in steps block by block, and its failure stops the trace', async () => {
    await reset();
    const result = await trace(
      ['BEGIN', 'ALTER TABLE app.events ADD COLUMN a1 int', 'COMMIT', 'BEGIN', 'ALTER TABLE app.users ADD COLUMN a2 int', 'SELECT 1/0', 'COMMIT', 'ALTER TABLE app.users ADD COLUMN a3 int'],
      false,
    );
    expect(result.outcome).toBe('failed');
    expect(result.statements.map((s) => s.outcome)).toEqual(['control', 'ran', 'control', 'control', 'ran', 'failed', 'not-run', 'not-run']);
    expect(result.statements[5]!.error).toEqual(expect.objectContaining({ code: '22012' }));
    // The first block committed, as it would; the second rolled back with the failure.
    const columns = (await catalog()).map((r) => r.attname);
    expect(columns).toContain('a1');
    expect(columns).not.toContain('a2');
    // The second block began afresh: its locks are its own, not held from the first.
    expect(result.statements[4]!.holding).toEqual([]);
  });

  it('a CONCURRENTLY statement in a transactional migration fails as it would in `up`', async () => {
    await reset();
    const result = await trace(['CREATE INDEX CONCURRENTLY e2 ON app.events (kind)']);
    expect(result.outcome).toBe('failed');
    expect(result.statements[0]!.error!.code).toBe('25001');
  });

  it('commits when asked, so the next migration can be traced on top', async () => {
    await reset();
    const result = await trace(['CREATE TABLE app.t2 (id int)', 'ALTER TABLE app.t2 ADD COLUMN b int'], true, true);
    expect(result.committed).toBe(true);
    // Locks on a table the migration created are nobody else's business: none are reported.
    expect(result.statements[1]!.locks).toEqual([]);
    expect((await catalog()).some((r) => r.relname === 't2')).toBe(true);
  });

  it('splits a captured multi-statement text into statements with their own lines', async () => {
    await reset();
    const result = await traceMigration(client, {
      engine: 'cms',
      id: '20250101_init',
      transactional: true,
      statements: [{ sql: 'ALTER TABLE app.events ADD COLUMN c1 int;\n  DROP TABLE app.users;', file: 'src/migrations/20250101_init.ts', line: 10 }],
    });
    expect(result.statements.map((s) => [s.statement.sql, s.statement.line])).toEqual([
      ['ALTER TABLE app.events ADD COLUMN c1 int', 10],
      ['DROP TABLE app.users', 11],
    ]);
    expect(result.statements[1]!.changes!.dropped).toEqual([
      { schema: 'app', name: 'users', kind: 'table' },
      { schema: 'app', name: 'users_pkey', kind: 'index' },
    ]);
  });
  it("replays statements captured from a server log, the script's own BEGIN/COMMIT included", async () => {
    await reset();
    const captured = capturedStatements(
      [
        '2025-01-01 10:00:00.001 UTC [77] payload LOG:  statement: BEGIN',
        '2025-01-01 10:00:00.002 UTC [77] payload LOG:  statement: ALTER TABLE app.events ALTER COLUMN amount TYPE bigint',
        '2025-01-01 10:00:00.003 UTC [77] payload LOG:  statement: COMMIT',
      ],
      { pid: 77, file: 'src/migrations/20250101_amount.ts' },
    );
    const result = await traceMigration(client, { engine: 'payload', id: '20250101_amount', transactional: true, statements: captured });
    expect(result.statements.map((s) => s.outcome)).toEqual(['control', 'ran', 'control']);
    expect(result.statements[1]!.changes!.rewritten.map((r) => r.relation.name)).toContain('events');
    expect(result.statements[1]!.locks).toContainEqual(expect.objectContaining({ mode: 'AccessExclusiveLock', source: 'observed' }));
  });
});
