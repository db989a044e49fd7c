import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { MigrationAdapter } from '../adapter/contract.js';
import { adapterProblems } from '../adapter/verify-adapter.js';
import { validateConfig } from '../config/validate-config.js';
import { down } from '../operations/down.js';
import { resolve } from '../operations/resolve.js';
import { status } from '../operations/status.js';
import { up } from '../operations/up.js';
import { introspectSchema } from '../schema/introspect.js';
import { Session } from '../session.js';
import { historyExclusions } from '../verify/history-exclusions.js';
import { catalogSnapshot } from './catalog-snapshot.js';

/**
 * `polymigrate/testing`: the suite every adapter passes, against real PostgreSQL — the built-in
 * engines and any custom one (as golang-migrate ships database/testing to its drivers). It runs
 * under vitest (an optional peer of this entry point). Usage, in a test file:
 *
 *   import { adapterContract } from 'polymigrate/testing';
 *   adapterContract('my engine', { setup, expectedOrder, revertible, … }, { createDatabase });
 *
 * What an engine must provide to be run through it. The fixture must be deliberately irregular:
 * ids with gaps, at least one migration without a down (for engines with down files), and files
 * whose order on disk (creation order, name order) is not their apply order where the engine
 * allows that. The optional parts switch on more checks.
 */
export interface ContractFixture {
  /** Build the adapter over a fresh copy of the fixture, for one database. */
  setup(databaseUrl: string): Promise<MigrationAdapter>;
  /** Ids in the order the engine applies them. */
  expectedOrder: string[];
  /** Ids that can be reverted (empty for rollback 'none'). */
  revertible: string[];
  /** Remove temp files. */
  cleanup?(): Promise<void> | void;
  /** What one test may take, when the engine's runs cost more than the default allows (a child process per run). */
  testTimeoutMs?: number;
  /** Write a migration, after all others, that fails at a known place of its file. */
  addFailing?(): { id: string; file: string; line: number };
  /** Edit the file of applied migration `id` (engines that record checksums); returns the undo. */
  modify?(id: string): () => void;
  /** Write a migration, after all others, that must run outside a transaction (CREATE INDEX CONCURRENTLY). */
  addNonTransactional?(): { id: string };
  /**
   * Where the `history.recordApplied` cases start recording, as an index into `expectedOrder`: the
   * migrations before it are applied with `up` first, on the cases' own database. Default 0: record
   * on an empty database, where `recordApplied` creates the history table as the engine would.
   * Payload: 1 — its history table is made by its first migration, so on an empty database its
   * `recordApplied` refuses (the schema it would vouch for is not there).
   */
  recordAppliedFrom?: number;
}

/** Where the suite gets its database (one per adapter suite; dropped at the end). */
export interface ContractEnvironment {
  createDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
}

function sessionFor(adapter: MigrationAdapter, url: string): Session {
  const config = validateConfig({ engines: [adapter] }, path.join(process.cwd(), 'contract.config.json'));
  return new Session({ config, databaseUrl: url, lockTimeoutSeconds: 30 });
}

/** What the cases share: set up in beforeAll, so read inside a case, never when the cases are declared. */
interface SuiteState {
  db: Awaited<ReturnType<ContractEnvironment['createDatabase']>>;
  adapter: MigrationAdapter;
}

/**
 * The suite every adapter passes: discovery, history, apply, revert, create, against real PostgreSQL.
 * The cases share one database and run in the order declared (each starts where the last one left it),
 * except the `recordApplied` cases, which need an empty database of their own (they run the same
 * adapter on it: an adapter takes its database from each call's context, never from `setup`).
 */
export function adapterContract(engineLabel: string, fixture: ContractFixture, env: ContractEnvironment): void {
  describe(`adapter contract: ${engineLabel}`, fixture.testTimeoutMs ? { timeout: fixture.testTimeoutMs } : {}, () => {
    const suite = {} as SuiteState;

    beforeAll(async () => {
      suite.db = await env.createDatabase();
      suite.adapter = await fixture.setup(suite.db.url);
    });
    afterAll(async () => {
      await suite.adapter?.close?.();
      await suite.db?.drop();
      await fixture.cleanup?.();
    });

    discoveryCases(fixture, suite);
    recordAppliedCases(fixture, suite, env);
    applyAndRevertCases(fixture, suite);
    runEdgeCases(fixture, suite);
    failureAndCreateCases(fixture, suite);
  });
}

/** The adapter's shape, its view of the fixture, and a fresh database read without side effects. */
function discoveryCases(fixture: ContractFixture, suite: SuiteState): void {
  it('declares valid capabilities and the contract functions', () => {
    const { adapter } = suite;
    expect(adapterProblems(adapter)).toEqual([]);
    if (adapter.capabilities.rollback === 'none') expect(fixture.revertible).toEqual([]);
  });

  it('discovers the irregular fixture in apply order, with absolute paths that exist', async () => {
    const { adapter } = suite;
    const found = await adapter.source.discover();
    expect(found.map((m) => m.id)).toEqual(fixture.expectedOrder);
    for (const m of found) {
      expect(path.isAbsolute(m.path)).toBe(true);
      expect(fs.existsSync(m.path)).toBe(true);
    }
    if (adapter.capabilities.rollback === 'down-file') {
      expect(found.filter((m) => m.hasDown).map((m) => m.id)).toEqual(fixture.revertible);
    }
  });

  it('reads an empty history from a fresh database without creating anything', async () => {
    const { adapter, db } = suite;
    const before = await catalogSnapshot(db.url);
    const session = sessionFor(adapter, db.url);
    try {
      const report = await status(session);
      expect(report.engines[0]!.migrations.map((m) => [m.id, m.state])).toEqual(fixture.expectedOrder.map((id) => [id, 'pending']));
    } finally {
      await session.close();
    }
    expect(await catalogSnapshot(db.url)).toEqual(before);
  });
}

/** Which migrations the `recordApplied` cases apply with `up` first, record, and leave for `up` afterwards. */
function recordAppliedSplit(fixture: ContractFixture): { applied: string[]; recorded: string[]; rest: string[] } {
  const order = fixture.expectedOrder;
  const from = fixture.recordAppliedFrom ?? 0;
  // At least one recorded; one left for `up` when the fixture has enough.
  const end = Math.max(from + 1, order.length - 1);
  return { applied: order.slice(0, from), recorded: order.slice(from, end), rest: order.slice(end) };
}

/** What the `recordApplied` cases share: their own database, and the state the first case found. */
interface RecordState {
  db?: Awaited<ReturnType<ContractEnvironment['createDatabase']>>;
  /** The application's objects before anything was recorded (history tables and journal left out). */
  objectsBefore?: string;
}

/**
 * `history.recordApplied` (what `baseline` calls): rows as the engine writes them, nothing of the
 * migrations run, written through the transaction the core opened. On a database of its own, since
 * the shared one must stay empty for the apply cycle; the three cases run in this order.
 */
function recordAppliedCases(fixture: ContractFixture, suite: SuiteState, env: ContractEnvironment): void {
  describe('history.recordApplied', () => {
    const state: RecordState = {};
    const split = recordAppliedSplit(fixture);
    beforeAll(async () => {
      if (suite.adapter.history.recordApplied) state.db = await env.createDatabase();
    });
    afterAll(async () => {
      await state.db?.drop();
    });

    it('leaves no row and no object when the transaction around it rolls back', async (context) => {
      if (!state.db) return context.skip('this engine has no history.recordApplied');
      const { adapter } = suite;
      const url = state.db.url;
      const session = sessionFor(adapter, url);
      try {
        if (split.applied.length > 0) {
          const report = await up(session, { to: { engine: adapter.name, id: split.applied.at(-1)! } });
          expect(report.results.map((r) => [r.id, r.status])).toEqual(split.applied.map((id) => [id, 'applied']));
        }
        const before = await catalogSnapshot(url);
        state.objectsBefore = await applicationObjects(session, url, adapter);
        // A row written through a connection of its own would survive this ROLLBACK.
        await recordInTransaction(session, adapter, split.recorded, 'ROLLBACK');
        expect(await catalogSnapshot(url)).toEqual(before);
      } finally {
        await session.close();
      }
    });

    it('records migrations as applied without running any of their SQL', async (context) => {
      if (!state.db) return context.skip('this engine has no history.recordApplied');
      if (state.objectsBefore === undefined) throw new Error('the rolled-back case before this one did not finish');
      await checkRecorded(fixture, suite.adapter, state.db.url, state.objectsBefore);
    });

    it('up afterwards runs only the migrations that were not recorded', async (context) => {
      if (!state.db) return context.skip('this engine has no history.recordApplied');
      const { adapter } = suite;
      const session = sessionFor(adapter, state.db.url);
      try {
        const report = await up(session);
        expect(report.outcome).toBe('succeeded');
        expect(report.results.map((r) => [r.id, r.status])).toEqual(split.rest.map((id) => [id, 'applied']));
        expect((await status(session)).upToDate).toBe(true);
        // An engine that records checksums for what `up` applies records them for what it did not run too.
        const history = await adapter.history.read(await session.db());
        if (history.some((h) => split.rest.includes(h.id) && h.checksum !== undefined)) {
          expect(history.filter((h) => split.recorded.includes(h.id) && h.checksum === undefined)).toEqual([]);
        }
      } finally {
        await session.close();
      }
    });
  });
}

/** Record for real, then: no object of the migrations exists, and history and status say applied, as the engine orders and checksums them. */
async function checkRecorded(fixture: ContractFixture, adapter: MigrationAdapter, url: string, objectsBefore: string): Promise<void> {
  const split = recordAppliedSplit(fixture);
  const session = sessionFor(adapter, url);
  try {
    await recordInTransaction(session, adapter, split.recorded, 'COMMIT');
    expect(await applicationObjects(session, url, adapter)).toEqual(objectsBefore);
    const history = (await adapter.history.read(await session.db())).filter((h) => h.state === 'applied');
    // In the engine's order: the order `recordApplied` was given them, after what `up` applied.
    expect(history.map((h) => h.id)).toEqual([...split.applied, ...split.recorded]);
    const discovered = new Map((await adapter.source.discover()).map((m) => [m.id, m]));
    for (const entry of history) {
      if (entry.checksum !== undefined) expect([entry.id, entry.checksum]).toEqual([entry.id, discovered.get(entry.id)!.checksum]);
    }
    const states = (await status(session)).engines[0]!.migrations.map((m) => [m.id, m.state]);
    expect(states).toEqual(fixture.expectedOrder.map((id) => [id, split.rest.includes(id) ? 'pending' : 'applied']));
  } finally {
    await session.close();
  }
}

/** `recordApplied(ids)` the way `baseline` calls it: in ONE transaction on the session's connection, ended with `end`. */
async function recordInTransaction(session: Session, adapter: MigrationAdapter, ids: string[], end: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  const migrations = (await adapter.source.discover()).filter((m) => ids.includes(m.id));
  expect(migrations.map((m) => m.id)).toEqual(ids);
  const db = await session.db();
  await db.query('BEGIN');
  try {
    await adapter.history.recordApplied!(migrations, { db, databaseUrl: session.engineUrl(adapter.name) });
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
  await db.query(end);
}

/**
 * The application's schema, as `verify` reads it: every object but polymigrate's journal and the
 * engine's history tables (and the schema that holds only those, drizzle's \`drizzle\`), which
 * `recordApplied` may create. Equal before and after means none of the migrations' SQL ran.
 */
async function applicationObjects(session: Session, url: string, adapter: MigrationAdapter): Promise<string> {
  const exclude = await historyExclusions(session.config.journalSchema, [adapter]);
  const historySchemas = new Set(exclude.tables.flatMap((t) => (t.schema ? [t.schema] : [])));
  const model = await withDb(url, (client) => introspectSchema(client, { exclude }));
  const objects = [...model.objects.values()].filter((o) => !(o.kind === 'schema' && historySchemas.has(o.name)));
  return JSON.stringify(objects.sort((a, b) => a.key.localeCompare(b.key)));
}

/** Apply everything, apply again (nothing), then down and up: the core cycle, in this order. */
function applyAndRevertCases(fixture: ContractFixture, suite: SuiteState): void {
  it('applies every migration in order and records them as the engine does', async () => {
    const { adapter, db } = suite;
    const session = sessionFor(adapter, db.url);
    try {
      const report = await up(session);
      expect(report.outcome).toBe('succeeded');
      expect(report.results.map((r) => [r.id, r.status])).toEqual(fixture.expectedOrder.map((id) => [id, 'applied']));
      const history = await adapter.history.read(await session.db());
      expect(new Set(history.filter((h) => h.state === 'applied').map((h) => h.id))).toEqual(new Set(fixture.expectedOrder));
      const after = await status(session);
      expect(after.upToDate).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('applies nothing the second time', async () => {
    const { adapter, db } = suite;
    const session = sessionFor(adapter, db.url);
    try {
      const report = await up(session);
      expect(report.plan.steps).toEqual([]);
      expect(report.results).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it('down undoes the last run newest-first and stops at the first migration it cannot revert', async () => {
    const { adapter, db } = suite;
    const session = sessionFor(adapter, db.url);
    try {
      const report = await down(session);
      // Reverted: the revertible tail of the apply order, newest first, up to the first one that is not.
      const tail: string[] = [];
      for (const id of [...fixture.expectedOrder].reverse()) {
        if (!fixture.revertible.includes(id)) break;
        tail.push(id);
      }
      expect(report.results.map((r) => [r.id, r.status])).toEqual(tail.map((id) => [id, 'reverted']));
      if (tail.length < fixture.expectedOrder.length) {
        expect(report.plan.stop?.id).toBe(fixture.expectedOrder[fixture.expectedOrder.length - tail.length - 1]);
        expect(report.plan.stop?.hint.length).toBeGreaterThan(10);
      }
      const after = await status(session);
      const states = Object.fromEntries(after.engines[0]!.migrations.map((m) => [m.id, m.state]));
      for (const id of fixture.expectedOrder) expect(states[id]).toBe(tail.includes(id) ? 'pending' : 'applied');
      // And up brings them back.
      const again = await up(session);
      expect(again.results.map((r) => r.id)).toEqual([...tail].reverse());
    } finally {
      await session.close();
    }
  });
}

/** What a real project meets beyond the cycle; optional parts of the fixture switch cases on. */
function runEdgeCases(fixture: ContractFixture, suite: SuiteState): void {
  it('applies a migration that must run outside a transaction', async (context) => {
    const { adapter, db } = suite;
    if (!fixture.addNonTransactional) return context.skip('the fixture does not provide addNonTransactional()');
    const { id } = fixture.addNonTransactional();
    const session = sessionFor(adapter, db.url);
    try {
      const report = await up(session);
      expect(report.results.map((r) => [r.id, r.status])).toEqual([[id, 'applied']]);
      expect(report.plan.steps[0]!.note).toMatch(/outside a transaction/);
      const states = Object.fromEntries((await status(session)).engines[0]!.migrations.map((m) => [m.id, m.state]));
      expect(states[id]).toBe('applied');
    } finally {
      await session.close();
    }
  });

  it('reports an applied migration whose file was edited as modified, and up refuses', async (context) => {
    const { adapter, db } = suite;
    if (!fixture.modify) return context.skip('the fixture does not provide modify()');
    const id = fixture.expectedOrder[0]!;
    const undo = fixture.modify(id);
    const session = sessionFor(adapter, db.url);
    try {
      const states = Object.fromEntries((await status(session)).engines[0]!.migrations.map((m) => [m.id, m.state]));
      expect(states[id]).toBe('modified');
      expect((await up(session)).outcome).toBe('refused');
    } finally {
      undo();
      await session.close();
    }
  });

  it("holds the engine's own lock keys only while it runs", async () => {
    const { adapter, db } = suite;
    const keys = adapter.capabilities.lockKeys ?? [];
    const held = await withDb(
      db.url,
      async (c) =>
        // Advisory locks are per database: another suite's run on the same server holds the same keys on its own database.
        (
          await c.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND (classid::bigint << 32) + objid::bigint = ANY($1::bigint[])`,
            [keys.map(String)],
          )
        ).rows.length,
    );
    expect(held).toBe(0);
  });
}

/** Repairing and failing (the history must stay true), then a new migration. */
function failureAndCreateCases(fixture: ContractFixture, suite: SuiteState): void {
  it('resolve names a migration it does not know', async (context) => {
    const { adapter, db } = suite;
    if (!adapter.history.resolve) context.skip('this engine has no history.resolve');
    const session = sessionFor(adapter, db.url);
    try {
      await expect(resolve(session, adapter.name, 'no_such_migration', 'applied')).rejects.toThrow(/no_such_migration/);
    } finally {
      await session.close();
    }
  });

  it('a failing migration is not recorded as applied, and its error names file and line', async (context) => {
    const { adapter, db } = suite;
    if (!fixture.addFailing) return context.skip('the fixture does not provide addFailing()');
    const failing = fixture.addFailing();
    const session = sessionFor(adapter, db.url);
    try {
      const before = await adapter.history.read(await session.db());
      const report = await up(session);
      expect(report.outcome).toBe('failed');
      const result = report.results.find((r) => r.id === failing.id)!;
      expect(result.status).toBe('failed');
      expect(result.error?.file).toBe(failing.file);
      expect(result.error?.line).toBe(failing.line);
      const after = await adapter.history.read(await session.db());
      expect(after.filter((h) => h.id === failing.id && h.state === 'applied')).toEqual([]);
      expect(
        after
          .filter((h) => h.state === 'applied')
          .map((h) => h.id)
          .sort(),
      ).toEqual(
        before
          .filter((h) => h.state === 'applied')
          .map((h) => h.id)
          .sort(),
      );
    } finally {
      await session.close();
    }
  });

  it('creates a new migration that is discovered last and pending', async () => {
    const { adapter } = suite;
    const created = await adapter.source.create('contract check', { empty: true });
    expect(created.files.length).toBeGreaterThan(0);
    for (const file of created.files) expect(fs.existsSync(file)).toBe(true);
    const found = await adapter.source.discover();
    expect(found[found.length - 1]!.id).toBe(created.id);
  });
}

async function withDb<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
