import { describe, expect, it } from 'vitest';
import { capturedStatements, unobservedTrace } from '../../src/deploy-plan/captured-log.js';
import { findingsOf } from '../../src/deploy-plan/findings.js';

/**
 * Statements read back from a server's stderr log with log_statement = 'all' and
 * log_line_prefix = '%m [%p] %a ' — the shape PostgreSQL writes: a multi-line statement continues
 * on tab-indented lines, an extended-protocol `execute` has its parameters on a DETAIL line.
 */
const LOG = [
  '2024-06-01 10:00:00.001 UTC [4242] payload LOG:  statement: BEGIN',
  '2024-06-01 10:00:00.002 UTC [4242] payload LOG:  statement: ALTER TABLE "pages" ADD COLUMN "slug" varchar NOT NULL;',
  '\tCREATE INDEX "pages_slug_idx" ON "pages" USING btree ("slug");',
  '2024-06-01 10:00:00.003 UTC [5151] psql LOG:  statement: SELECT 1',
  '2024-06-01 10:00:00.004 UTC [4242] payload LOG:  execute <unnamed>: insert into "payload_migrations" ("name", "batch") values ($1, $2)',
  "2024-06-01 10:00:00.004 UTC [4242] payload DETAIL:  parameters: $1 = '20240601_pages', $2 = '3'",
  '2024-06-01 10:00:00.005 UTC [4242] payload LOG:  duration: 0.210 ms',
  '2024-06-01 10:00:00.006 UTC [4242] payload LOG:  statement: COMMIT',
];

describe('captured SQL from the server log', () => {
  it("reads one backend's statements in order, multi-line ones whole, parameters inlined", () => {
    expect(capturedStatements(LOG, { pid: 4242, file: 'src/migrations/20240601_pages.ts' }).map((s) => s.sql)).toEqual([
      'BEGIN',
      'ALTER TABLE "pages" ADD COLUMN "slug" varchar NOT NULL;\nCREATE INDEX "pages_slug_idx" ON "pages" USING btree ("slug");',
      'insert into "payload_migrations" ("name", "batch") values (\'20240601_pages\', \'3\')',
      'COMMIT',
    ]);
  });

  it('without replay, the rules still read the SQL text: a required column, an index without CONCURRENTLY', async () => {
    const trace = await unobservedTrace({ engine: 'payload', id: '20240601_pages', transactional: true, statements: capturedStatements(LOG, { pid: 4242 }) });
    expect(trace.statements.map((s) => s.shape.type)).toEqual(['TransactionStmt', 'AlterTableStmt', 'IndexStmt', 'InsertStmt', 'TransactionStmt']);
    const codes = findingsOf(trace).map((f) => [f.code, f.basis]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ['PM404', 'parsed'],
        ['PM101', 'parsed'],
      ]),
    );
  });
});
