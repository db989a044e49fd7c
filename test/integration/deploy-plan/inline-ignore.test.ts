import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf } from '../../../src/deploy-plan/findings.js';
import { statementsFromSource } from '../../../src/deploy-plan/statement-shape.js';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { Finding } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';

/**
 * `-- polymigrate-ignore CODE: reason` read from a migration file as polymigrate reads it: the
 * statement below it, the end of a statement's line, or the whole file from its header. Without a
 * reason the finding stays and PM901 says why; an unknown code is PM902.
 */
describe('inline ignores', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('ignores');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function findings(text: string): Promise<Finding[]> {
    await client.query(`DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app;
      CREATE TABLE app.events (id bigint PRIMARY KEY, kind text, amount int);
      INSERT INTO app.events SELECT g, 'k', g FROM generate_series(1, 50) g;`);
    const statements = await statementsFromSource({ file: 'migrations/0002.sql', text, lineOffset: 0 });
    return findingsOf(await traceMigration(client, { engine: 'sql', id: '0002', transactional: true, statements }));
  }
  const byCode = (found: Finding[], code: string) => found.filter((f) => f.code === code);

  it('silences a code for the statement below, with its reason, and nothing else', async () => {
    const found = await findings(
      [
        "SET lock_timeout = '2s';",
        '-- polymigrate-ignore PM101: events holds a few hundred rows (lookup table)',
        'CREATE INDEX events_kind ON app.events (kind);',
        'CREATE INDEX events_amount ON app.events (amount);',
      ].join('\n'),
    );
    const [ignored, reported] = byCode(found, 'PM101');
    expect(ignored).toMatchObject({ line: 3, ignored: { reason: 'events holds a few hundred rows (lookup table)', scope: 'statement', line: 2 } });
    expect(reported).toMatchObject({ line: 4 });
    expect(reported!.ignored).toBeUndefined();
    expect(byCode(found, 'PM901')).toEqual([]);
  });

  it('accepts the rule name and a comment at the end of the statement line', async () => {
    const found = await findings(
      [
        "SET lock_timeout = '2s';",
        'CREATE INDEX events_kind ON app.events (kind); -- polymigrate-ignore index-without-concurrently: built before launch',
        'CREATE INDEX events_amount ON app.events (amount);',
      ].join('\n'),
    );
    const pm101 = byCode(found, 'PM101');
    expect(pm101.map((f) => [f.line, f.ignored?.reason])).toEqual([
      [2, 'built before launch'],
      [3, undefined],
    ]);
  });

  it('silences a code for the whole file from the header (a blank line before the first statement)', async () => {
    const found = await findings(
      [
        '-- Indexes for the reporting screen.',
        '-- polymigrate-ignore PM101, PM301: run in the maintenance window of 2024-06-01',
        '',
        'CREATE INDEX events_kind ON app.events (kind);',
        'CREATE INDEX events_amount ON app.events (amount);',
      ].join('\n'),
    );
    const silenced = found.filter((f) => ['PM101', 'PM301'].includes(f.code));
    expect(silenced.length).toBeGreaterThanOrEqual(3);
    expect(silenced.every((f) => f.ignored?.scope === 'file' && f.ignored.reason === 'run in the maintenance window of 2024-06-01')).toBe(true);
  });

  it('without a reason: the finding stays and PM901 says the ignore lacks one', async () => {
    const found = await findings(["SET lock_timeout = '2s';", '-- polymigrate-ignore PM101', 'CREATE INDEX events_kind ON app.events (kind);'].join('\n'));
    expect(byCode(found, 'PM101')[0]!.ignored).toBeUndefined();
    expect(byCode(found, 'PM901')).toEqual([expect.objectContaining({ line: 2, statement: 1, file: 'migrations/0002.sql' })]);
    expect(byCode(found, 'PM901')[0]!.message).toContain('gives no reason');
  });

  it('an unknown code silences nothing and is reported (PM902)', async () => {
    const found = await findings(["SET lock_timeout = '2s';", '-- polymigrate-ignore PM1O1: typo of PM101', 'CREATE INDEX events_kind ON app.events (kind);'].join('\n'));
    expect(byCode(found, 'PM101')[0]!.ignored).toBeUndefined();
    expect(byCode(found, 'PM902').map((f) => f.message)).toEqual([expect.stringContaining('PM1O1')]);
  });
});
