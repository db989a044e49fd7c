import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { PRISMA_ORACLE_CONFIG, prismaOracleAvailable, prismaOracleEnvironment } from './prisma-oracle.js';

/**
 * `polymigrate create prisma NAME` with the real Prisma 6.19 CLI installed in the project (the
 * offline oracle: its WASM schema engine through @prisma/adapter-pg, selected by the project's
 * prisma.config.ts). What this machine allows: Prisma runs, and `migrate dev --create-only` stops
 * in its first step (describing the development database), because the WASM engine cannot decode
 * PostgreSQL's catalog types through the adapter ("Column type 'char' could not be deserialized";
 * with @prisma/adapter-pg 6.19.0 instead of 7.10.1 it is 'name'). So this checks the real CLI is
 * called as documented and its error is passed through; the successful path runs against a
 * stand-in CLI in test/integration/prisma7.test.ts.
 */
describe('create prisma with the real Prisma 6.19 CLI installed', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  beforeAll(async () => {
    db = await createTestDatabase('prisma_create');
    project = new TempProject('pm-prisma-create-');
    project.write('package.json', '{"name":"app","type":"module"}');
    fs.symlinkSync(`${REPO_ROOT}/node_modules`, project.path('node_modules'));
    project.write('prisma.config.ts', fs.readFileSync(PRISMA_ORACLE_CONFIG, 'utf8').replace('defineConfig({', "defineConfig({\n  schema: 'prisma/schema.prisma',"));
    project.write('prisma/schema.prisma', 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\nmodel User {\n  id Int @id\n}\n');
    project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
  });
  afterAll(async () => {
    await db?.drop();
    project?.cleanup();
  });

  it(
    'runs prisma migrate dev --create-only and passes its error through, writing nothing',
    async () => {
      expect(prismaOracleAvailable).toBe(true);
      const env = prismaOracleEnvironment(db.url);
      const created = await runCli(['create', 'prisma', 'Add posts'], { cwd: project.dir, env, timeoutMs: budget(STEP_MS.cli + STEP_MS.prisma) });
      expect(created.code).toBe(2);
      expect(created.stderr).toContain('prisma: prisma migrate dev --create-only --name add_posts --config prisma.config.ts failed (exit 1):');
      // Prisma's own output, as it printed it.
      expect(created.stderr).toContain('Prisma schema loaded from prisma/schema.prisma');
      expect(created.stderr).toContain('Datasource "db": PostgreSQL database');
      expect(created.stderr).toMatch(/Error: Column type '\w+' could not be deserialized from the database\./);
      expect(created.stderr).toContain('with the project\'s prisma 6.19.0. For polymigrate\'s empty template instead: polymigrate create prisma "Add posts" --empty');
      expect(fs.readdirSync(project.path('prisma/migrations'))).toEqual(['migration_lock.toml']);
      expect(await query(db.url, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).toEqual([{ n: 0 }]);
    },
    testBudget({ cli: 1, prisma: 1, query: 1 }),
  );
});
