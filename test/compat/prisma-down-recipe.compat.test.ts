import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { PRISMA_ORACLE_CONFIG, prismaOracleAvailable, prismaOracleEnvironment } from './prisma-oracle.js';

/**
 * The recipe `down` prints for a Prisma migration without down.sql, run as printed (only the
 * `<commit before …>` placeholder and the /tmp scratch paths replaced) in a git repository with
 * the real Prisma 6.19 CLI — the offline oracle, which this project's prisma.config.ts selects,
 * as `npx prisma` finds it. The down.sql it writes must then revert the migration. Prisma 7's CLI
 * cannot run here (it downloads a native schema engine); its syntax is covered by
 * test/integration/prisma7.test.ts and the README says what was checked against it.
 */
const ORACLE_CONFIG_TEXT = fs.readFileSync(PRISMA_ORACLE_CONFIG, 'utf8');
const DATASOURCE = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';
const USER = 'model User {\n  id Int @id\n}\n';
const POST = 'model Post {\n  id    Int    @id\n  title String\n}\n';
const INIT = '20260101000000_init';
const POSTS = '20260102000000_posts';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=polymigrate-test', '-c', 'user.email=test@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** Run one printed shell line in the project, with the oracle's environment. */
function shell(line: string, cwd: string, databaseUrl: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd, env: prismaOracleEnvironment(databaseUrl), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), budget(STEP_MS.prisma));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('Prisma 6 rollback recipe, run as printed (the Prisma CLI as oracle)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('the offline Prisma CLI is installed (devDependencies prisma 6.19.0 and @prisma/adapter-pg)', () => {
    expect(prismaOracleAvailable).toBe(true);
  });

  /**
   * A repository with two commits: the schema with User and its migration, then Post added with
   * its migration. `schemaAt` is where the schema lives: a file, or a folder of .prisma files.
   */
  async function setup(schemaAt: 'prisma/schema.prisma' | 'prisma/schema') {
    const db = await createTestDatabase('prisma_recipe');
    const project = new TempProject('pm-prisma-recipe-');
    cleanups.push(
      () => db.drop(),
      () => project.cleanup(),
    );
    project.write('package.json', '{"name":"app","type":"module"}');
    project.write('.gitignore', 'node_modules\nprevious*\n');
    fs.symlinkSync(`${REPO_ROOT}/node_modules`, project.path('node_modules'));
    project.write('prisma.config.ts', ORACLE_CONFIG_TEXT.replace('defineConfig({', `defineConfig({\n  schema: '${schemaAt}',`));
    project.write('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
    project.write(`prisma/migrations/${INIT}/migration.sql`, 'CREATE TABLE "User" ("id" INTEGER NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n');
    project.config({ engines: [{ kind: 'prisma', migrations: 'prisma/migrations' }] });
    const writeSchema = (models: string[]) => {
      if (schemaAt === 'prisma/schema.prisma') project.write(schemaAt, [DATASOURCE, ...models].join('\n'));
      else models.forEach((model, i) => project.write(`${schemaAt}/${i === 0 ? 'base' : 'post'}.prisma`, i === 0 ? `${DATASOURCE}\n${model}` : model));
    };
    writeSchema([USER]);
    git(project.dir, 'init', '-q');
    git(project.dir, 'add', '-A');
    git(project.dir, 'commit', '-qm', 'init');
    const before = git(project.dir, 'rev-parse', 'HEAD');
    writeSchema([USER, POST]);
    project.write(`prisma/migrations/${POSTS}/migration.sql`, 'CREATE TABLE "Post" ("id" INTEGER NOT NULL, "title" TEXT NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\n');
    git(project.dir, 'add', '-A');
    git(project.dir, 'commit', '-qm', 'posts');
    const pm = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url } });
    return { db, project, before, pm };
  }

  /** Steps 1 and 2 of the printed recipe, placeholders filled in. */
  function recipeLines(output: string, before: string, project: TempProject): string[] {
    const lines = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[12]\. /.test(l));
    expect(lines).toHaveLength(2);
    return lines.map((l) =>
      l
        .replace(/^1\. the schema before \S+: /, '')
        .replace(/^2\. /, '')
        .replaceAll(`<commit before ${POSTS}>`, before)
        .replaceAll('/tmp/previous', project.path('previous')),
    );
  }

  it.each(['prisma/schema.prisma', 'prisma/schema'] as const)(
    'schema at %s: the printed recipe writes a down.sql that reverts the migration',
    async (schemaAt) => {
      const { db, project, before, pm } = await setup(schemaAt);
      expect((await pm('up')).code).toBe(0);
      const stopped = await pm('down', '--engine', 'prisma');
      expect(stopped.code, stopped.stderr).toBe(0);
      const printed = stopped.stdout + stopped.stderr;
      expect(printed).toContain('npx prisma migrate diff --from-schema-datamodel');
      for (const line of recipeLines(printed, before, project)) {
        const ran = await shell(line, project.dir, db.url);
        expect(ran.code, `${line}\n${ran.output}`).toBe(0);
      }
      expect(project.read(`prisma/migrations/${POSTS}/down.sql`)).toMatch(/DROP TABLE "Post";/);

      const down = await pm('down', '--engine', 'prisma');
      expect(down.code, down.stderr).toBe(0);
      expect(await query(db.url, `SELECT to_regclass('"Post"') AS post, to_regclass('"User"') AS "user"`)).toEqual([{ post: null, user: '"User"' }]);
      expect(await query(db.url, 'SELECT migration_name FROM _prisma_migrations ORDER BY 1')).toEqual([{ migration_name: INIT }]);
    },
    testBudget({ cli: 4, prisma: 2, query: 2 }),
  );
});
