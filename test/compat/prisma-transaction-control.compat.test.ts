import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { ENGINES, expectHistoryMatchesCatalog } from '../helpers/engine-under-test.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { testBudget } from '../helpers/time-budget.js';
import { prismaOracle, prismaOracleAvailable } from './prisma-oracle.js';

/**
 * Prisma migrations that take control of transactions or session state, applied by polymigrate,
 * then read by the real Prisma CLI: it must see exactly the history Prisma's own protocol leaves
 * (applied rows, or the failed row that blocks deploy with P3009).
 */
if (!prismaOracleAvailable) {
  console.warn('Prisma oracle tests skipped: node_modules/prisma or @prisma/adapter-pg is missing. Run npm ci to enable them.');
}

describe.skipIf(!prismaOracleAvailable)('Prisma transaction control, checked by the Prisma CLI', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const db = await createTestDatabase('compat_tc');
    const project = new TempProject('pm-compat-tc-');
    cleanups.push(
      () => db.drop(),
      () => project.cleanup(),
    );
    fs.copyFileSync(path.join(REPO_ROOT, 'prisma/schema.prisma'), project.path('schema.prisma'));
    project.config({ engines: [ENGINES.prisma.config] });
    const pm = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
    const prisma = (...args: string[]) => prismaOracle(args, { schema: project.path('schema.prisma'), databaseUrl: db.url });
    // The oracle reads migrations beside the schema.
    const write = (n: number, name: string, sql: string) => {
      const id = ENGINES.prisma.write(project, n, name, sql);
      fs.mkdirSync(project.path('migrations'), { recursive: true });
      fs.cpSync(project.path('prisma/migrations'), project.path('migrations'), { recursive: true });
      return id;
    };
    return { db, project, pm, prisma, write };
  }

  it(
    'a self-wrapped backfill and a migration that sets search_path: Prisma sees every migration applied and deploys nothing',
    async () => {
      const t = await setup();
      const plain = t.write(1, 'plain', 'CREATE TABLE "Plain" (id int);\n');
      const backfill = t.write(
        2,
        'backfill',
        [
          '-- Prisma does not automatically wrap PostgreSQL migrations in a transaction.',
          'BEGIN;',
          'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;',
          'INSERT INTO "Plain" SELECT g FROM generate_series(1, 10) g;',
          'COMMIT;',
          '',
        ].join('\n'),
      );
      const other = t.write(3, 'other_schema', 'CREATE SCHEMA other;\nSET search_path TO other;\nCREATE TABLE "InOther" (id int);\n');
      const after = t.write(4, 'after', 'CREATE TABLE "After" (id int);\n');
      const up = await t.pm('up', '--json');
      expect(up.code, up.stderr).toBe(0);
      // As under prisma migrate deploy, the migration's own search_path decides where its table goes;
      // the next migration starts from the session as it was.
      expect(await query(t.db.url, `SELECT schemaname, tablename FROM pg_tables WHERE tablename IN ('InOther', 'After') ORDER BY 2`)).toEqual([
        { schemaname: 'public', tablename: 'After' },
        { schemaname: 'other', tablename: 'InOther' },
      ]);
      await expectHistoryMatchesCatalog(t.pm, t.db.url, [
        { id: plain, tables: ['Plain'] },
        { id: backfill, tables: [] },
        { id: other, tables: ['other.InOther'] },
        { id: after, tables: ['After'] },
      ]);
      const status = await t.prisma('migrate', 'status');
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toContain('Database schema is up to date!');
      const deploy = await t.prisma('migrate', 'deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stdout).toContain('No pending migrations to apply.');
      expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM "Plain"')).toEqual([{ n: 10 }]);
    },
    testBudget({ prisma: 2, cli: 2, query: 1 }),
  );

  it(
    "a script that fails after its own COMMIT leaves the failed row Prisma's deploy refuses with P3009",
    async () => {
      const t = await setup();
      const id = t.write(1, 'two_blocks', 'BEGIN;\nCREATE TABLE "APart" (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE "BPart" (id int REFERENCES missing (id));\nCOMMIT;\n');
      expect((await t.pm('up')).code).toBe(1);
      const states = await expectHistoryMatchesCatalog(t.pm, t.db.url, [{ id, tables: ['APart', 'BPart'] }]);
      expect(states[id]).toBe('failed');
      const deploy = await t.prisma('migrate', 'deploy');
      expect(deploy.code).toBe(1);
      expect(deploy.stdout + deploy.stderr).toMatch(/P3009/);
      expect(deploy.stdout + deploy.stderr).toContain(id);
    },
    testBudget({ prisma: 1, cli: 2, query: 1 }),
  );

  it(
    "a failing statement inside the script's own BEGIN block: Prisma's protocol records it failed, with the real error in logs",
    async () => {
      const t = await setup();
      const id = t.write(1, 'divides', 'BEGIN;\nCREATE TABLE "Zero" (id int);\nSELECT 1/0;\nCOMMIT;\n');
      const up = await t.pm('up', '--json');
      expect(up.code).toBe(1);
      expect(up.json().results[0].error.message).toMatch(/^division by zero .*statement 3 of 4/);
      await expectHistoryMatchesCatalog(t.pm, t.db.url, [{ id, tables: ['Zero'] }]);
      const [row] = await query<{ logs: string }>(t.db.url, 'SELECT logs FROM _prisma_migrations WHERE migration_name = $1', [id]);
      expect(row!.logs).toMatch(/Database error code: 22012\n\nDatabase error:\ndivision by zero/);
      const status = await t.prisma('migrate', 'status');
      expect(status.code).toBe(1);
      expect(status.stdout + status.stderr).toMatch(/failed/i);
    },
    testBudget({ prisma: 1, cli: 2, query: 1 }),
  );
});
