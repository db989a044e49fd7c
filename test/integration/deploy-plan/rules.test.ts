import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf } from '../../../src/deploy-plan/findings.js';
import { ALL_RULES } from '../../../src/deploy-plan/rules/catalog.js';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { Finding } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';
import { CASES, FIXTURE, type Case } from './rule-cases.js';

/**
 * Every rule against real PostgreSQL: a migration where it fires, and a near miss — the safer way
 * its documentation recommends, or the same statement where it cannot hurt — where it must not.
 * Each case starts from the same fixture (tables with rows, an index, an enum), traced on a
 * scratch database as `plan` traces pending migrations.
 */

describe('rules: each fires on its pattern and not on the near miss', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('rules');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function findings(c: Case): Promise<Finding[]> {
    await client.query(FIXTURE);
    if (c.setup) await client.query(c.setup);
    const trace = await traceMigration(client, {
      engine: 'sql',
      id: 'case',
      transactional: c.transactional ?? true,
      statements: c.statements.map((sql, i) => ({ sql, file: 'case.sql', line: i + 1 })),
    });
    return findingsOf(trace);
  }

  for (const [code, cases] of Object.entries(CASES)) {
    it(`${code} fires`, async () => {
      for (const c of [cases.fires].flat()) {
        const found = await findings(c);
        expect(
          found.map((f) => f.code),
          `${code} on ${c.statements.join('; ')}`,
        ).toContain(code);
        const finding = found.find((f) => f.code === code)!;
        expect(finding.message.length).toBeGreaterThan(10);
        expect(finding.safer.length).toBeGreaterThan(10);
      }
    });
    it(`${code} stays quiet on the near miss`, async () => {
      for (const c of [cases.nearMiss].flat()) {
        const found = await findings(c);
        expect(
          found.filter((f) => f.code === code).map((f) => f.message),
          `${code} on ${c.statements.join('; ')}`,
        ).toEqual([]);
      }
    });
  }

  it('has a case for every statement rule', () => {
    const covered = new Set(Object.keys(CASES));
    const statementRules = ALL_RULES.filter((r) => !['live', 'ignores'].includes(r.family)).map((r) => r.code);
    expect(statementRules.filter((code) => !covered.has(code))).toEqual([]);
  });
});
