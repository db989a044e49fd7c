import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOn } from '../../../src/deploy-plan/fail-on.js';
import { buildDeployPlan } from '../../../src/deploy-plan/plan-report.js';
import { renderPlanJson } from '../../../src/deploy-plan/render-json.js';
import { renderPlanMarkdown } from '../../../src/deploy-plan/render-markdown.js';
import { renderPlanTable } from '../../../src/deploy-plan/render-table.js';
import { readLiveSnapshot, touchedRelations } from '../../../src/deploy-plan/sizes.js';
import { statementsFromSource } from '../../../src/deploy-plan/statement-shape.js';
import { traceMigration } from '../../../src/deploy-plan/trace.js';
import type { DeployPlanDocument } from '../../../src/deploy-plan/types.js';
import { createTestDatabase } from '../../helpers/database.js';
import { testBudget } from '../../helpers/time-budget.js';

/**
 * The deploy report on a realistic input: two engines' pending migrations traced one after the
 * other on a shadow (the first committed so the second runs on top, as `plan` replays), sized
 * against a live database with 200 k rows in the table they rewrite.
 */
const SCHEMA = `CREATE SCHEMA app;
  CREATE TABLE app.orders (id bigint PRIMARY KEY, customer_id bigint, status text, total int, created_at timestamptz DEFAULT now());
  CREATE TABLE app.customers (id bigint PRIMARY KEY, email text)`;

const SQL_MIGRATION = `-- Orders: totals in cents need bigint.
SET lock_timeout = '3s';

ALTER TABLE app.orders ALTER COLUMN total TYPE bigint;
-- polymigrate-ignore PM101: built at launch, the reporting index must exist before the code ships
CREATE INDEX orders_status ON app.orders (status);
ALTER TABLE app.orders ADD COLUMN note text;
`;

const PRISMA_MIGRATION = `-- AlterTable
ALTER TABLE "app"."customers" RENAME COLUMN "email" TO "email_address";
`;

describe('deploy plan report', () => {
  let shadowDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let liveDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let plan: DeployPlanDocument;

  beforeAll(
    async () => {
      [shadowDb, liveDb] = await Promise.all([createTestDatabase('shadow'), createTestDatabase('live')]);
      const shadow = new pg.Client({ connectionString: shadowDb.url });
      const live = new pg.Client({ connectionString: liveDb.url });
      await Promise.all([shadow.connect(), live.connect()]);
      try {
        await shadow.query(SCHEMA);
        await live.query(`${SCHEMA}; INSERT INTO app.orders SELECT g, g % 500, 'paid', g FROM generate_series(1, 200000) g;
        INSERT INTO app.customers SELECT g, 'c' || g FROM generate_series(1, 500) g; ANALYZE app.orders, app.customers`);
        const sqlTrace = await traceMigration(
          shadow,
          {
            engine: 'sql',
            id: '20240601_orders_bigint',
            transactional: true,
            statements: await statementsFromSource({ file: 'db/migrations/20240601_orders_bigint.sql', text: SQL_MIGRATION, lineOffset: 0 }),
          },
          { commit: true },
        );
        const prismaTrace = await traceMigration(
          shadow,
          {
            engine: 'prisma',
            id: '20240602_rename_email',
            transactional: true,
            statements: await statementsFromSource({ file: 'prisma/migrations/20240602_rename_email/migration.sql', text: PRISMA_MIGRATION, lineOffset: 0 }),
          },
          { session: ["SET lock_timeout = '2s'"] },
        );
        const snapshot = await readLiveSnapshot(live, touchedRelations([sqlTrace, prismaTrace]));
        plan = buildDeployPlan(
          [
            {
              engine: 'sql',
              kind: 'sql',
              trace: sqlTrace,
              hasDown: true,
              rollback: { strategy: 'down-file', recipe: 'polymigrate down --engine sql --to 20240531' },
              objects: { created: ['index app.orders_status', 'column app.orders.note'], altered: ['column app.orders.total'], dropped: [] },
            },
            { engine: 'prisma', kind: 'prisma', trace: prismaTrace, hasDown: false, rollback: { strategy: 'none' } },
          ],
          snapshot,
        );
      } finally {
        await Promise.all([shadow.end(), live.end()]);
      }
    },
    testBudget({ query: 8 }),
  );
  afterAll(async () => {
    await Promise.all([shadowDb?.drop(), liveDb?.drop()]);
  });

  it('builds the document: risk from the live size, findings per statement, ignores kept with their reason', () => {
    expect(plan).toMatchObject({ version: 1, command: 'plan', risk: { level: 'high' } });
    const [sql, prisma] = plan.migrations;
    expect(sql).toMatchObject({ engine: 'sql', id: '20240601_orders_bigint', transactional: true, hasDown: true, risk: { level: 'high' } });
    const typeChange = sql!.statements.flatMap((s) => s.findings).find((f) => f.code === 'PM402')!;
    expect(typeChange).toMatchObject({ level: 'high', baseLevel: 'medium', line: 4 });
    expect(typeChange.risk).toMatch(/^rewrites app\.orders \(≈\d+ k rows, [\d.]+ MB\) under ACCESS EXCLUSIVE/);
    expect(sql!.statements.flatMap((s) => s.findings).find((f) => f.code === 'PM101')!.ignored?.reason).toMatch(/^built at launch/);
    expect(sql!.lockWindows).toContainEqual(
      expect.objectContaining({
        relation: expect.objectContaining({ name: 'orders' }),
        mode: 'AccessExclusiveLock',
        from: 2,
        to: 4,
        untilCommit: true,
        work: ['rewrite', 'index build'],
      }),
    );
    expect(prisma!.statements.flatMap((s) => s.findings).map((f) => f.code)).toContain('PM602');
    expect(plan.findings.ignored).toBe(1);
    expect(plan.live?.queries).toBe(2);
  });

  it('renders JSON that parses back to the document', () => {
    expect(JSON.parse(renderPlanJson(plan))).toEqual(JSON.parse(JSON.stringify(plan)));
  });

  it('renders a compact table per engine with the findings under each migration', () => {
    const text = renderPlanTable(plan);
    expect(text).toMatch(/^Deploy risk: HIGH — sql 20240601_orders_bigint: PM402 rewrites app\.orders/);
    expect(text).toMatch(/\nsql\n {2}MIGRATION +TX +RISK +STMTS +FINDINGS +LONGEST BLOCKING LOCK\n {2}20240601_orders_bigint +yes +high /);
    expect(text).toContain('ACCESS EXCLUSIVE on app.orders, statements 2–4');
    expect(text).toMatch(/ignored +PM101 +db\/migrations\/20240601_orders_bigint\.sql:6 .* — ignored: built at launch/);
    expect(text).toMatch(/\nprisma\n/);
  });

  it('renders the Markdown deploy report with every section and the findings', () => {
    const md = renderPlanMarkdown(plan);
    const sections = [...md.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      'Deploy plan',
      'Pending migrations',
      'Safety analysis',
      'sql `20240601_orders_bigint` — 🟠 high',
      'prisma `20240602_rename_email` — 🟠 high',
      'Expected lock windows',
      'Rollback strategy',
      'After the deploy',
    ]);
    expect(md).toContain('**Risk: 🟠 high**');
    expect(md).toContain('| sql | `20240601_orders_bigint` | one transaction | 🟠 high | creates index app.orders_status, column app.orders.note; alters column app.orders.total |');
    expect(md).toMatch(/- \*\*🟠 high\*\* `PM402` column-type-change — `db\/migrations\/20240601_orders_bigint\.sql:4`: rewrites app\.orders \(≈\d+ k rows/);
    expect(md).toMatch(/\n {2}- Safer: Add a column of the new type/);
    expect(md).toMatch(/~~PM101 index-without-concurrently~~ .* — \*\*ignored\*\*: built at launch/);
    expect(md).toMatch(/\| `20240601_orders_bigint` \| app\.orders \| ACCESS EXCLUSIVE \| every read and write \| 2–4 \| commit \| rewrite, index build \| ≈\d+ k rows, [\d.]+ MB \|/);
    expect(md).toContain('| prisma | `20240602_rename_email` | none | restore from backup, or write a forward fix |');
    expect(md).toContain('| sql | `20240601_orders_bigint` | down file | polymigrate down --engine sql --to 20240531 |');
    expect(md).toContain('polymigrate verify');
  });

  it('--fail-on: exit 4 at the level the worst counted finding reaches, never for an ignored one', () => {
    expect(failOn(plan, 'high')).toMatchObject({ fail: true, exitCode: 4 });
    expect(failOn(plan, 'high').reasons.map((f) => f.code)).toEqual(expect.arrayContaining(['PM402', 'PM602']));
    expect(failOn(plan, 'critical')).toMatchObject({ fail: false, exitCode: 0, reasons: [] });
    expect(failOn(plan, 'low').reasons.some((f) => f.code === 'PM101')).toBe(false);
  });
});
