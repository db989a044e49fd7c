import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import fs from 'node:fs';
import path from 'node:path';

describe('init', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase('init');
    project = new TempProject();
    project.write('package.json', JSON.stringify({ name: 'mono', private: true }));
    project.write('.gitignore', 'node_modules'); // no newline at the end
    project.write('pnpm-workspace.yaml', 'packages:\n  - \'apps/*\'\n  - "packages/*"\n');
    project.write('apps/web/prisma/schema.prisma', 'datasource db { provider = "postgresql" url = env("DATABASE_URL") }\n');
    project.write('apps/web/prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    project.write('apps/web/src/payload.config.ts', 'export default {}\n');
    project.write('apps/web/src/migrations/20260101_000000_initial.ts', 'export async function up() {}\nexport async function down() {}\n');
    project.write('apps/web/prisma/migrations/20260101000000_init/migration.sql', 'CREATE TABLE "User" (id text PRIMARY KEY);\n');
    project.write('packages/db/drizzle.config.ts', "export default { out: './migrations', schema: './schema.ts' }\n");
    project.write('packages/db/migrations/meta/_journal.json', '{"version":"7","dialect":"postgresql","entries":[]}');
    project.write('supabase/migrations/20260101000000_init.sql', 'CREATE TABLE t (id int);\n');
    // Let the generated TS config import 'polymigrate' from this checkout.
    fs.mkdirSync(project.path('node_modules'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, project.path('node_modules/polymigrate'));
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('detects engines in the workspace packages, orders Prisma first, and explains it', async () => {
    const result = await runCli(['init', '--add-script'], { cwd: project.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Prisma runs first');
    const config = project.read('polymigrate.config.ts');
    const order = ['web-prisma', 'web-payload', 'db-drizzle', 'supabase'].map((n) => config.indexOf(`'${n}'`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(config).toContain("migrations: 'packages/db/migrations'");
    expect(config).toContain("history: 'supabase'");
    // New configs bound lock waits (the written config loads: status below reads it).
    expect(config).toMatch(/\n {2}ddlLockTimeout: 5,\n {2}ddlRetries: 5,\n/);
    expect(JSON.parse(project.read('package.json')).scripts['db:migrate']).toBe('polymigrate');
    // The local servers' data folder (the shadow's, --embedded's) is ignored, once.
    expect(result.stdout).toContain('.gitignore');
    expect(project.read('.gitignore')).toBe('node_modules\n.polymigrate/\n');
    const forced = await runCli(['init', '--force'], { cwd: project.dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout).not.toContain('.gitignore');
    expect(
      project
        .read('.gitignore')
        .split('\n')
        .filter((l) => l === '.polymigrate/'),
    ).toHaveLength(1);
    const again = await runCli(['init'], { cwd: project.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('status accepts the config init wrote, for every engine it found', async () => {
    const result = await runCli(['status', '--json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    const engines = result.json().engines;
    expect(engines.map((e: any) => [e.name, e.kind])).toEqual([
      ['web-prisma', 'prisma'],
      ['web-payload', 'payload'],
      ['db-drizzle', 'drizzle'],
      ['supabase', 'sql'],
    ]);
    expect(engines.map((e: any) => e.migrations.map((m: any) => m.state))).toEqual([['pending'], ['pending'], [], ['pending']]);
    for (const engine of engines) expect(path.isAbsolute(engine.location)).toBe(true);
  });
});
