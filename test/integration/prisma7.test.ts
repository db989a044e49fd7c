import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';

/**
 * Prisma 7 projects (prisma.config.ts, schema folders) and the commands polymigrate prints or runs
 * in the syntax of the Prisma the project has installed, through the built CLI on real
 * PostgreSQL. The installed Prisma is a package.json with a version (7.10.0, 6.19.0, or none);
 * where Prisma's CLI has to run, a stand-in CLI records how it was called and writes what
 * `prisma migrate dev --create-only` writes (Prisma 7's CLI needs a native engine this machine
 * cannot download; test/compat/prisma-create.compat.test.ts runs the real 6.19 CLI).
 */

const LOCK = 'provider = "postgresql"\n';
const SCHEMA = 'datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id Int @id\n}\n';

function installPrisma(project: TempProject, version: string | undefined): void {
  project.remove('node_modules/prisma');
  if (version) project.write('node_modules/prisma/package.json', JSON.stringify({ name: 'prisma', version, bin: { prisma: 'build/index.js' } }));
}

/**
 * A stand-in for Prisma's CLI entry: records argv and cwd, then does what `migrate dev
 * --create-only --name N` does with a migrations folder (a new `<timestamp>_N/migration.sql`), or
 * fails with a Prisma-like message when FAKE_PRISMA_FAIL is set.
 */
const FAKE_CLI = `
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
fs.writeFileSync(path.join(__dirname, '..', 'last-run.json'), JSON.stringify({ args, cwd: process.cwd() }));
if (process.env.FAKE_PRISMA_FAIL) {
  console.error("Error: P1001: Can't reach database server at localhost:1");
  process.exit(1);
}
const name = args[args.indexOf('--name') + 1];
const dir = path.join(process.cwd(), process.env.FAKE_PRISMA_MIGRATIONS, '20990101000000_' + name);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'migration.sql'), '-- CreateTable\\nCREATE TABLE "Post" ("id" SERIAL PRIMARY KEY);\\n');
console.log('Prisma schema loaded from prisma/schema.prisma');
console.log('Prisma Migrate created the following migration without applying it 20990101000000_' + name);
`;

describe('Prisma 7 projects: init', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('prisma7_init');
    project = new TempProject('pm-prisma7-init-');
    project.write('package.json', JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*'] }));
    // Prisma 7: the config names a schema folder and a migrations folder elsewhere.
    project.write('apps/api/package.json', '{"name":"api"}');
    project.write(
      'apps/api/prisma.config.ts',
      [
        "import { defineConfig, env } from 'prisma/config';",
        "export default defineConfig({ schema: 'db/schema', migrations: { path: 'db/migrations' }, datasource: { url: env('DATABASE_URL') } });",
      ].join('\n'),
    );
    project.write('apps/api/db/schema/user.prisma', SCHEMA);
    project.write('apps/api/db/migrations/migration_lock.toml', LOCK);
    project.write('apps/api/db/migrations/20260101000000_init/migration.sql', 'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);\n');
    // .config/prisma.ts naming only the schema: the migrations are beside it, as Prisma defaults.
    project.write('apps/auth/package.json', '{"name":"auth"}');
    project.write('apps/auth/.config/prisma.ts', "export default { schema: '../auth-db/schema.prisma' }\n");
    project.write('apps/auth/auth-db/schema.prisma', SCHEMA);
    project.write('apps/auth/auth-db/migrations/20260101000000_auth/migration.sql', 'CREATE TABLE "Account" ("id" INTEGER PRIMARY KEY);\n');
    // A Prisma 6 package at the conventional place: written as before, without prismaConfig.
    project.write('apps/web/package.json', '{"name":"web"}');
    project.write('apps/web/prisma/schema.prisma', SCHEMA);
    project.write('apps/web/prisma/migrations/20260101000000_web/migration.sql', 'CREATE TABLE "Web" ("id" INTEGER PRIMARY KEY);\n');
    fs.mkdirSync(project.path('node_modules'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, project.path('node_modules/polymigrate'));
  });
  afterAll(async () => {
    await db?.drop();
    project?.cleanup();
  });

  it('writes the migrations folder and prismaConfig a Prisma config file names, and status reads them', async () => {
    const result = await runCli(['init'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    const config = project.read('polymigrate.config.ts');
    expect(config).toContain("{ kind: 'prisma', name: 'api-prisma', migrations: 'apps/api/db/migrations', prismaConfig: 'apps/api/prisma.config.ts' },");
    expect(config).toContain("{ kind: 'prisma', name: 'auth-prisma', migrations: 'apps/auth/auth-db/migrations', prismaConfig: 'apps/auth/.config/prisma.ts' },");
    expect(config).toContain("{ kind: 'prisma', name: 'web-prisma', migrations: 'apps/web/prisma/migrations' },");
    expect(result.stdout).toContain('api-prisma (prisma) from apps/api/prisma.config.ts');

    const status = await runCli(['status', '--json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expect(status.code, status.stderr).toBe(3);
    const engines = status.json().engines.map((e: any) => [e.name, e.migrations.map((m: any) => `${m.id}:${m.state}`)]);
    expect(engines).toEqual([
      ['api-prisma', ['20260101000000_init:pending']],
      ['auth-prisma', ['20260101000000_auth:pending']],
      ['web-prisma', ['20260101000000_web:pending']],
    ]);
  });
});

describe.each([
  { label: '7.10.0', version: '7.10.0', diff: '--from-schema', to: '--to-schema', fromDb: '--from-config-datasource --to-schema' },
  { label: '6.19.0', version: '6.19.0', diff: '--from-schema-datamodel', to: '--to-schema-datamodel', fromDb: '--from-url "$DATABASE_URL" --to-schema-datamodel' },
  { label: 'none', version: undefined, diff: '--from-schema-datamodel', to: '--to-schema-datamodel', fromDb: '--from-url "$DATABASE_URL" --to-schema-datamodel' },
])('Prisma commands printed with installed prisma: $label', ({ version, diff, to, fromDb }) => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
  beforeAll(async () => {
    db = await createTestDatabase('prisma7_syntax');
    project = new TempProject('pm-prisma7-syntax-');
    project.write('package.json', '{"name":"app"}');
    project.write('prisma/schema.prisma', SCHEMA);
    project.write('prisma/migrations/migration_lock.toml', LOCK);
    project.write('prisma/migrations/20260101000000_init/migration.sql', 'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);\n');
    if (version?.startsWith('7')) {
      project.write('prisma.config.ts', "export default { schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations' } };\n");
    }
    installPrisma(project, version);
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
  });
  afterAll(async () => {
    await db?.drop();
    project?.cleanup();
  });

  it('down stops at a migration without down.sql with the recipe in that syntax', async () => {
    expect((await cli('up')).code).toBe(0);
    const down = await cli('down');
    expect(down.code, down.stderr).toBe(0);
    const output = down.stdout + down.stderr;
    expect(output).toContain(`npx prisma migrate diff ${diff} ${project.path('prisma/schema.prisma')} ${to} /tmp/previous.prisma --script`);
    expect(output).toContain('git show <commit before 20260101000000_init>:./prisma/schema.prisma > /tmp/previous.prisma');
    if (version?.startsWith('7')) expect(output).not.toContain('-datamodel');
  });

  it("create writes the template in that syntax when Prisma's CLI cannot be run, and says so", async () => {
    const created = await cli('create', 'prisma', 'Add posts', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { id, notes } = created.json();
    expect(notes[0]).toMatch(/^Prisma's CLI is not installed for this project \(.+\), so polymigrate wrote its empty template/);
    expect(notes[0]).toContain(version ? 'has no CLI entry file' : 'no node_modules/prisma in');
    expect(project.read(`prisma/migrations/${id}/migration.sql`)).toContain(`npx prisma migrate diff ${fromDb} prisma/schema.prisma --script >> this file`);
    expect(project.read(`prisma/migrations/${id}/down.sql`)).toContain(`npx prisma migrate diff ${diff} prisma/schema.prisma ${to} <schema before this migration> --script`);
    project.remove(`prisma/migrations/${id}`);
  });
});

describe.each(['7.10.0', '6.19.0'])('create prisma runs the installed Prisma %s CLI', (version) => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { cwd: project.path('apps/api'), env: { DATABASE_URL: db.url, FAKE_PRISMA_MIGRATIONS: 'db/migrations', ...env } });
  const lastRun = () => JSON.parse(project.read('node_modules/prisma/last-run.json')) as { args: string[]; cwd: string };
  beforeAll(async () => {
    db = await createTestDatabase('prisma7_create');
    project = new TempProject('pm-prisma7-create-');
    project.write('package.json', '{"name":"mono","private":true}');
    project.write('apps/api/package.json', '{"name":"api"}');
    project.write('apps/api/prisma.config.ts', "export default { schema: 'db/schema.prisma', migrations: { path: 'db/migrations' } };\n");
    project.write('apps/api/db/schema.prisma', SCHEMA);
    project.write('apps/api/db/migrations/migration_lock.toml', LOCK);
    installPrisma(project, version);
    project.write('node_modules/prisma/build/index.js', FAKE_CLI);
    project.write('apps/api/polymigrate.config.json', JSON.stringify({ engines: [{ kind: 'prisma', migrations: 'db/migrations' }] }));
  });
  afterAll(async () => {
    await db?.drop();
    project?.cleanup();
  });

  it('passes the name and the config file, in the project folder, and its output through; adds a down.sql template', async () => {
    const created = await cli(['create', 'prisma', 'Add posts', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const report = created.json();
    expect(report.id).toBe('20990101000000_add_posts');
    expect(lastRun()).toEqual({
      args: ['migrate', 'dev', '--create-only', '--name', 'add_posts', '--config', project.path('apps/api/prisma.config.ts')],
      cwd: project.path('apps/api'),
    });
    expect(report.notes[0]).toBe(`Written by the project's Prisma CLI (prisma ${version}): prisma migrate dev --create-only --name add_posts --config prisma.config.ts. Its output:`);
    expect(report.notes).toContain('  Prisma Migrate created the following migration without applying it 20990101000000_add_posts');
    expect(report.files).toEqual([project.path('apps/api/db/migrations/20990101000000_add_posts/migration.sql'), project.path('apps/api/db/migrations/20990101000000_add_posts/down.sql')]);
    const down = project.read('apps/api/db/migrations/20990101000000_add_posts/down.sql');
    expect(down).toContain(version.startsWith('7') ? '--from-schema db/schema.prisma --to-schema' : '--from-schema-datamodel db/schema.prisma --to-schema-datamodel');
    const status = await cli(['status', '--json']);
    expect(status.json().engines[0].migrations.map((m: any) => [m.id, m.state, m.revertible])).toEqual([['20990101000000_add_posts', 'pending', false]]);
    project.remove('apps/api/db/migrations/20990101000000_add_posts');
  });

  it("passes Prisma's error through with exit 2 and writes nothing; --empty writes the template without running Prisma", async () => {
    const failed = await cli(['create', 'prisma', 'broken'], { FAKE_PRISMA_FAIL: '1' });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('prisma: prisma migrate dev --create-only --name broken --config prisma.config.ts failed (exit 1):');
    expect(failed.stderr).toContain("Error: P1001: Can't reach database server at localhost:1");
    expect(failed.stderr).toContain(`with the project's prisma ${version}. For polymigrate's empty template instead: polymigrate create prisma "broken" --empty`);
    expect(fs.readdirSync(project.path('apps/api/db/migrations'))).toEqual(['migration_lock.toml']);

    project.remove('node_modules/prisma/last-run.json');
    const empty = await cli(['create', 'prisma', 'backfill', '--empty', '--json'], { FAKE_PRISMA_FAIL: '1' });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.json().notes[0]).toBe('Written by polymigrate (--empty): Prisma was not run.');
    expect(fs.existsSync(project.path('node_modules/prisma/last-run.json'))).toBe(false);
    project.remove(`apps/api/db/migrations/${empty.json().id}`);
  });

  it("says where Prisma put the migration when that is not the engine's folder", async () => {
    const created = await cli(['create', 'prisma', 'elsewhere'], { FAKE_PRISMA_MIGRATIONS: 'other/migrations' });
    expect(created.code).toBe(2);
    expect(created.stderr).toContain(`wrote no migration into ${project.path('apps/api/db/migrations')}`);
    expect(created.stderr).toContain("Prisma's migrations folder");
    project.remove('apps/api/other');
  });
});
