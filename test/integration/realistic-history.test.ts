import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query, withClient } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { testBudget } from '../helpers/time-budget.js';

/**
 * A large, messy, real-shaped history — the benchmark's generator (scripts/bench/realistic-history.mjs):
 * enums and enum values, Prisma's quoted identifiers, foreign keys, renames, plpgsql functions and
 * triggers with `$$` bodies, backfills, files with their own BEGIN/SET TRANSACTION/COMMIT, CREATE
 * INDEX CONCURRENTLY — applied by polymigrate's Prisma engine and SQL engine, and file by file the
 * way psql runs them (BEGIN; file; COMMIT, CONCURRENTLY files bare). All three databases must end
 * with the same schema and the same rows.
 */
const COUNT = 300;
/** Applying the whole history once (a CLI run of COUNT migrations, or the psql-style loop): several fast runs' worth. */
const APPLY = { cli: 6 } as const;

interface Generated {
  files: string[];
  concurrently: Set<string>;
}

async function generate(dir: string, format: 'prisma' | 'sql'): Promise<Generated> {
  const { generateRealisticHistory } = (await import(path.join(REPO_ROOT, 'scripts/bench/realistic-history.mjs'))) as {
    generateRealisticHistory: (dir: string, options: { count: number; seed: number; format: string }) => Generated;
  };
  return generateRealisticHistory(dir, { count: COUNT, seed: 7, format });
}

/** Everything a migration leaves, without the engines' history tables and polymigrate's own schema. */
async function schemaAndRows(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const skip = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'polymigrate') AND c.relname <> '_prisma_migrations'`;
    const q = async (sql: string) => (await c.query(sql)).rows;
    const columns = await q(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS dflt
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm') AND ${skip} ORDER BY 1, a.attnum`);
    const indexes = await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'polymigrate') AND tablename <> '_prisma_migrations' ORDER BY 1`);
    const constraints = await q(`SELECT conname, pg_get_constraintdef(co.oid) AS def FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${skip} ORDER BY 1, 2`);
    const enums = await q(`SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY 1 ORDER BY 1`);
    const functions = await q(`SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' ORDER BY 1`);
    const triggers = await q(`SELECT tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE NOT tgisinternal ORDER BY 1`);
    const tables = await q(`SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND ${skip} ORDER BY 1`);
    const rows: Record<string, number> = {};
    for (const { t } of tables as Array<{ t: string }>) rows[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    return { columns, indexes, constraints, enums, functions, triggers, rows };
  });
}

describe(`a realistic ${COUNT}-migration history, applied three ways`, () => {
  const project = new TempProject('pm-realistic-');
  const dbs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
  let prisma: Generated;

  beforeAll(
    async () => {
      prisma = await generate(project.path('prisma'), 'prisma');
      await generate(project.path('sql'), 'sql');
      project.write('prisma.json', JSON.stringify({ engines: [{ kind: 'prisma', name: 'app', migrations: 'prisma/migrations' }] }));
      project.write('sql.json', JSON.stringify({ engines: [{ kind: 'sql', name: 'app', migrations: 'sql' }] }));
      for (let i = 0; i < 3; i += 1) dbs.push(await createTestDatabase('realistic'));
      // Generating 2 × COUNT files and three databases.
    },
    testBudget({ cli: 4 }),
  );
  afterAll(async () => {
    for (const db of dbs) await db.drop();
    project.cleanup();
  });

  it(
    'the Prisma engine and the SQL engine leave exactly what psql-style file-by-file application leaves',
    async () => {
      const [reference, viaPrisma, viaSql] = dbs as [(typeof dbs)[0], (typeof dbs)[0], (typeof dbs)[0]];
      await withClient(reference.url, async (c) => {
        for (const file of prisma.files) {
          const text = fs.readFileSync(file, 'utf8');
          if (prisma.concurrently.has(file)) await c.query(text);
          else await c.query(`BEGIN;\n${text}\n;\nCOMMIT`);
        }
      });
      const byPrisma = await runCli(['up', '--config', 'prisma.json', '--json'], { cwd: project.dir, env: { DATABASE_URL: viaPrisma.url }, timeoutMs: testBudget(APPLY) });
      expect(byPrisma.code, byPrisma.stderr).toBe(0);
      expect(byPrisma.json().results).toHaveLength(COUNT);
      const bySql = await runCli(['up', '--config', 'sql.json', '--json'], { cwd: project.dir, env: { DATABASE_URL: viaSql.url }, timeoutMs: testBudget(APPLY) });
      expect(bySql.code, bySql.stderr).toBe(0);
      expect(bySql.json().results).toHaveLength(COUNT);

      const expected = await schemaAndRows(reference.url);
      expect(await schemaAndRows(viaPrisma.url)).toEqual(expected);
      expect(await schemaAndRows(viaSql.url)).toEqual(expected);
      // Every migration recorded, each exactly once.
      expect(await query(viaPrisma.url, 'SELECT count(DISTINCT migration_name)::int AS n, count(*)::int AS rows FROM _prisma_migrations WHERE finished_at IS NOT NULL')).toEqual([
        { n: COUNT, rows: COUNT },
      ]);
      const status = await runCli(['status', '--config', 'prisma.json', '--json'], { cwd: project.dir, env: { DATABASE_URL: viaPrisma.url } });
      expect(status.code).toBe(0);
    },
    3 * testBudget(APPLY) + testBudget({ cli: 1, query: 3 }),
  );
});
