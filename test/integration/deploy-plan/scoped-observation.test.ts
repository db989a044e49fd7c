import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { MigrationTrace, TraceOptions } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';
import { CASES, FIXTURE, type Case } from './rule-cases.js';

/**
 * After a statement inside its transaction, the trace reads columns and constraints again only
 * where that transaction holds locks or made relations (observeInTransaction), and a migration's
 * trace starts from the catalog the previous one committed. Both rest on PostgreSQL changing a
 * relation's catalog rows only under a lock on it; here they are held to the reference: every rule
 * case and a corpus of statements that reach relations indirectly (cascades, renames of types and
 * schemas, partitions, inheritance, DO blocks, search_path) give the same traces as reading the
 * whole catalog after every statement.
 */

/** Statements that change relations other than the one they name, or their names without touching them. */
const INDIRECT: Case[] = [
  { statements: ['DROP TYPE app.mood CASCADE'], setup: 'CREATE TABLE app.feelings (id int, mood app.mood NOT NULL)' },
  { statements: ['DROP SCHEMA app CASCADE'] },
  { statements: ['ALTER TYPE app.mood RENAME TO feeling', 'ALTER TABLE app.users ADD COLUMN x int'], setup: 'ALTER TABLE app.users ADD COLUMN mood app.mood' },
  { statements: ['ALTER SCHEMA app RENAME TO app2', 'ALTER TABLE app2.users ADD COLUMN x int', 'ALTER SCHEMA app2 RENAME TO app'] },
  {
    statements: ['SET search_path TO app, public', 'ALTER TABLE users ADD COLUMN x int', 'ALTER TABLE users ALTER COLUMN mood SET NOT NULL'],
    setup: "ALTER TABLE app.users ADD COLUMN mood app.mood DEFAULT 'sad'",
  },
  {
    statements: ['ALTER INDEX app.users_email_key RENAME TO users_email_unique', 'ALTER TABLE app.users RENAME COLUMN email TO mail'],
    setup: 'ALTER TABLE app.users ADD CONSTRAINT users_email_key UNIQUE (email)',
  },
  {
    statements: ['ALTER TABLE app.users RENAME TO people', 'ALTER TABLE app.people RENAME COLUMN id TO person_id', 'ALTER TABLE app.events DROP CONSTRAINT events_user'],
    setup: 'ALTER TABLE app.events ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES app.users (id)',
  },
  { statements: ['DROP TABLE app.users CASCADE'], setup: 'ALTER TABLE app.events ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES app.users (id)' },
  {
    statements: ['ALTER TABLE app.log ADD COLUMN level int NOT NULL DEFAULT 0', 'ALTER TABLE app.log ALTER COLUMN message TYPE varchar(200)', 'CREATE INDEX log_at ON app.log (at)'],
    setup: `CREATE TABLE app.log (id bigint, at date NOT NULL, message text) PARTITION BY RANGE (at);
            CREATE TABLE app.log_2025 PARTITION OF app.log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            CREATE TABLE app.log_2026 PARTITION OF app.log FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            INSERT INTO app.log VALUES (1, '2025-06-01', 'a'), (2, '2026-06-01', 'b')`,
  },
  {
    statements: ['ALTER TABLE app.parent ADD COLUMN flag boolean', 'ALTER TABLE app.parent ALTER COLUMN id SET NOT NULL'],
    setup: 'CREATE TABLE app.parent (id int); CREATE TABLE app.child (extra text) INHERITS (app.parent)',
  },
  {
    statements: [
      `DO $$ BEGIN
         EXECUTE 'ALTER TABLE app.events ADD COLUMN tag text';
         EXECUTE format('CREATE INDEX %I ON app.events (tag)', 'events_tag');
         PERFORM 1 FROM app.users LIMIT 1;
       END $$`,
      'UPDATE app.events SET tag = kind',
    ],
  },
  {
    statements: [
      'CREATE TABLE app.orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES app.users (id))',
      'ALTER TABLE app.orders ADD COLUMN total numeric(10, 2)',
      'DROP TABLE app.empty',
    ],
  },
  {
    statements: [
      'CREATE VIEW app.active AS SELECT id, email FROM app.users',
      'CREATE MATERIALIZED VIEW app.totals AS SELECT user_id, sum(amount) FROM app.events GROUP BY 1',
      'ALTER TABLE app.users ALTER COLUMN email TYPE varchar(300)',
    ],
    transactional: true,
  },
  {
    statements: ['ALTER DOMAIN app.positive ADD CONSTRAINT below CHECK (VALUE < 1000000)', 'ALTER TABLE app.events ALTER COLUMN amount TYPE app.positive'],
    setup: 'CREATE DOMAIN app.positive AS int CHECK (VALUE > 0)',
  },
  // Several blocks, a rolled-back one, a statement that commits on its own, one outside any block.
  {
    statements: [
      'BEGIN',
      'ALTER TABLE app.users ADD COLUMN a int',
      'ROLLBACK',
      'ALTER TABLE app.users ADD COLUMN b int',
      'CREATE INDEX CONCURRENTLY users_b ON app.users (b)',
      'BEGIN',
      'ALTER TABLE app.events ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID',
      'COMMIT',
      'ALTER TABLE app.events VALIDATE CONSTRAINT amount_positive',
      'VACUUM app.events',
    ],
    transactional: false,
  },
  { statements: ['ALTER TABLE app.users ADD COLUMN c int', 'ALTER TABLE app.missing ADD COLUMN d int', 'ALTER TABLE app.users ADD COLUMN e int'] },
];

/**
 * A trace without its timings (oids never appear in it), its lists in a canonical order: what two
 * readings must agree on. The order of created or dropped relations, locks and changes within one
 * statement is the catalog's scan order, which is not stable across readings.
 */
function comparable(trace: MigrationTrace): unknown {
  const plain = JSON.parse(JSON.stringify({ ...trace, traceMs: 0, observeMs: 0, observations: 0 }, (key, value: unknown) => (key === 'durationMs' ? undefined : value))) as unknown;
  return canonical(plain);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    return items.every((item) => typeof item === 'object' && item !== null && !('index' in item)) ? items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : items;
  }
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}

describe('scoped catalog observation', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('scoped');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function traced(c: Case, id: string, options: TraceOptions): Promise<MigrationTrace> {
    if (c.setup) await client.query(c.setup);
    return traceMigration(
      client,
      { engine: 'sql', id, transactional: c.transactional ?? true, statements: c.statements.map((sql, i) => ({ sql, file: `${id}.sql`, line: i + 1 })) },
      options,
    );
  }

  async function bothWays(c: Case, id: string): Promise<{ full: MigrationTrace; scoped: MigrationTrace }> {
    await client.query(FIXTURE);
    const full = await traced(c, id, { observe: 'full' });
    await client.query(FIXTURE);
    const scoped = await traced(c, id, { observe: 'scoped' });
    return { full, scoped };
  }

  it('sees what the full reading sees, for every rule case', async () => {
    let compared = 0;
    for (const [code, cases] of Object.entries(CASES)) {
      for (const c of [cases.fires, cases.nearMiss].flat()) {
        const { full, scoped } = await bothWays(c, code);
        expect(comparable(scoped), `${code}: ${c.statements.join('; ')}`).toEqual(comparable(full));
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('sees what the full reading sees for statements that reach relations indirectly', async () => {
    for (const [n, c] of INDIRECT.entries()) {
      const { full, scoped } = await bothWays(c, `indirect_${n}`);
      expect(comparable(scoped), c.statements.join('; ')).toEqual(comparable(full));
      expect(scoped.statements.filter((s) => s.outcome === 'ran').length, c.statements.join('; ')).toBeGreaterThan(0);
    }
  });

  it('does not call a column retyped when only the way its type is written changed (search_path, a renamed type)', async () => {
    for (const c of [INDIRECT[2]!, INDIRECT[4]!]) {
      for (const observe of ['full', 'scoped'] as const) {
        await client.query(FIXTURE);
        const trace = await traced(c, 'm', { observe });
        const kinds = trace.statements.flatMap((s) => s.changes?.columns ?? []).map((change) => `${change.kind} ${change.at.column}`);
        expect(kinds, `${observe}: ${c.statements.join('; ')}`).not.toContainEqual(expect.stringMatching(/^type-changed/));
        expect(kinds).toContain('added x');
      }
    }
  });

  it('starts each migration from the catalog the previous one committed, as if it read it whole', async () => {
    const sequence: Case[] = [
      { statements: ['CREATE TABLE app.orders (id bigint PRIMARY KEY, user_id bigint)', 'CREATE INDEX orders_user ON app.orders (user_id)'] },
      { statements: ['ALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id)', 'ALTER TABLE app.orders ADD COLUMN note text'] },
      { statements: ['ALTER TABLE app.orders ALTER COLUMN note SET NOT NULL', 'ALTER TABLE app.orders RENAME COLUMN note TO memo'] },
      { statements: ['BEGIN', 'ALTER TABLE app.orders DROP COLUMN memo', 'ROLLBACK', 'CREATE INDEX CONCURRENTLY orders_id2 ON app.orders (id)'], transactional: false },
      { statements: ['ALTER TABLE app.orders ALTER COLUMN memo TYPE varchar(10)', 'DROP INDEX app.orders_id2'] },
      { statements: ['ALTER TABLE app.orders ADD COLUMN x int', 'ALTER TABLE app.nope ADD COLUMN y int'] },
      { statements: ['ALTER TABLE app.orders ADD COLUMN z int', 'DROP TABLE app.orders'] },
    ];
    const run = async (options: () => TraceOptions) => {
      await client.query(FIXTURE);
      const traces: unknown[] = [];
      for (const [n, c] of sequence.entries()) traces.push(comparable(await traced(c, `m${n}`, options())));
      return traces;
    };
    const carry: NonNullable<TraceOptions['carry']> = {};
    const full = await run(() => ({ commit: true, observe: 'full' }));
    const carried = await run(() => ({ commit: true, carry }));
    expect(carried).toEqual(full);
    // The failed migration (m5) leaves nothing to carry; the one after it read the catalog whole again.
    expect(carry.observation?.relations.size).toBeGreaterThan(0);
  });
});
