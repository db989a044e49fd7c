import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationAdapter } from '../../src/adapter/contract.js';
import { adapterProblems } from '../../src/adapter/verify-adapter.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { down } from '../../src/operations/down.js';
import { status } from '../../src/operations/status.js';
import { up } from '../../src/operations/up.js';
import { Session } from '../../src/session.js';
import { catalogSnapshot, createTestDatabase } from '../helpers/database.js';

/**
 * What an engine must provide to be run through the shared contract suite.
 *
 * The fixture must be deliberately irregular: ids with gaps, at least one migration without a
 * down (for engines with down files), and files whose order on disk (creation order, name
 * order) is not their apply order where the engine allows that.
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
}

function sessionFor(adapter: MigrationAdapter, url: string): Session {
  const config = validateConfig({ engines: [adapter] }, path.join(process.cwd(), 'contract.config.json'));
  return new Session({ config, databaseUrl: url, lockTimeoutSeconds: 30 });
}

/** The suite every adapter passes: discovery, history, apply, revert, create, against real PostgreSQL. */
export function adapterContract(engineLabel: string, fixture: ContractFixture): void {
  describe(`adapter contract: ${engineLabel}`, fixture.testTimeoutMs ? { timeout: fixture.testTimeoutMs } : {}, () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let adapter: MigrationAdapter;

    beforeAll(async () => {
      db = await createTestDatabase('contract');
      adapter = await fixture.setup(db.url);
    });
    afterAll(async () => {
      await adapter?.close?.();
      await db?.drop();
      await fixture.cleanup?.();
    });

    it('declares valid capabilities and the contract functions', () => {
      expect(adapterProblems(adapter)).toEqual([]);
      if (adapter.capabilities.rollback === 'none') expect(fixture.revertible).toEqual([]);
    });

    it('discovers the irregular fixture in apply order, with absolute paths that exist', async () => {
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

    it('applies every migration in order and records them as the engine does', async () => {
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

    it('creates a new migration that is discovered last and pending', async () => {
      const created = await adapter.source.create('contract check', { empty: true });
      expect(created.files.length).toBeGreaterThan(0);
      for (const file of created.files) expect(fs.existsSync(file)).toBe(true);
      const found = await adapter.source.discover();
      expect(found[found.length - 1]!.id).toBe(created.id);
    });
  });
}
