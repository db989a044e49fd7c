import { describe, expect, it } from 'vitest';
import type { DiscoveredMigration, HistoryEntry } from '../../src/adapter/contract.js';
import { prismaChecksum } from '../../adapters/prisma/prisma-checksum.js';
import { summarizeLogs } from '../../adapters/prisma/prisma-history.js';
import { reconcilePrisma } from '../../adapters/prisma/prisma-reconcile.js';
import type { PrismaMeta } from '../../adapters/prisma/prisma-migrations-folder.js';

function migration(id: string, script = `-- ${id}\nSELECT 1;\n`): DiscoveredMigration<PrismaMeta> {
  const bytes = Buffer.from(script);
  return { id, path: `/m/${id}`, checksum: prismaChecksum(bytes), hasDown: false, transactional: true, meta: { scriptFile: `/m/${id}/migration.sql`, script, bytes } };
}
const row = (id: string, state: HistoryEntry['state'], checksum = migration(id).checksum): HistoryEntry => ({ id, state, ...(checksum ? { checksum } : {}) });
const states = (d: Array<DiscoveredMigration<PrismaMeta>>, h: HistoryEntry[]) => reconcilePrisma(d, h).map((s) => [s.id, s.state]);

describe("reconcilePrisma (Prisma's status rules)", () => {
  it('a finished row that is not rolled back means applied, whatever rolled-back rows sit beside it', () => {
    // resolve --applied after a failure leaves exactly this pair.
    expect(states([migration('1_a')], [row('1_a', 'rolled-back'), row('1_a', 'applied')])).toEqual([['1_a', 'applied']]);
    expect(states([migration('1_a')], [row('1_a', 'applied'), row('1_a', 'rolled-back')])).toEqual([['1_a', 'applied']]);
  });

  it('an unfinished, not rolled-back row is failed even beside an applied one; only rolled-back rows mean pending again', () => {
    expect(states([migration('1_a')], [row('1_a', 'applied'), row('1_a', 'failed')])).toEqual([['1_a', 'failed']]);
    expect(states([migration('1_a'), migration('2_b')], [row('1_a', 'rolled-back')])).toEqual([
      ['1_a', 'rolled-back'],
      ['2_b', 'pending'],
    ]);
  });

  it('accepts the CRLF and LF variants of a file as unedited; any other change is modified', () => {
    const lf = 'CREATE TABLE "A" (id int);\nSELECT 1;\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(states([migration('1_a', crlf)], [row('1_a', 'applied', prismaChecksum(lf))])).toEqual([['1_a', 'applied']]);
    expect(states([migration('1_a', lf)], [row('1_a', 'applied', prismaChecksum(crlf))])).toEqual([['1_a', 'applied']]);
    expect(states([migration('1_a', lf.replace('A', 'B'))], [row('1_a', 'applied', prismaChecksum(lf))])).toEqual([['1_a', 'modified']]);
  });

  it('rows without a folder: applied → missing, failed → failed, rolled back only → nothing to say', () => {
    expect(states([], [row('1_a', 'applied'), row('2_b', 'failed'), row('3_c', 'rolled-back')])).toEqual([
      ['1_a', 'missing'],
      ['2_b', 'failed'],
    ]);
  });

  it("summarizes Prisma's logs to the error lines, without the engine backtrace", () => {
    const logs =
      'external connector error\nNo such table: nope\n   0: sql_schema_connector::apply_migration::apply_script\n           with migration_name="x"\n             at schema-engine/x.rs:113';
    expect(summarizeLogs(logs)).toBe('external connector error No such table: nope');
  });
});
