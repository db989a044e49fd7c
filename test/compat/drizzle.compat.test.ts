import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { runDrizzleKit } from '../helpers/drizzle-project.js';
import { TempProject } from '../helpers/project.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { testBudget } from '../helpers/time-budget.js';

const drizzleKit = runDrizzleKit;

const HISTORY = 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id';
const TAGS = ['0000_init', '0001_page_views', '0002_daily_rollups'];

/**
 * The repository's drizzle/ example, copied as is: its drizzle.config.ts uses paths relative to
 * the project root ('./drizzle/migrations'), so drizzle-kit runs from the copy's root with
 * --config drizzle/drizzle.config.ts, exactly as documented in that file.
 */
describe('drizzle compat: drizzle-kit migrate agrees with polymigrate', () => {
  let project: TempProject;
  const journal = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'drizzle/migrations/meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string; when: number }> };

  beforeAll(() => {
    project = new TempProject('pm-compat-drizzle-');
    fs.cpSync(path.join(REPO_ROOT, 'drizzle'), project.path('drizzle'), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir');
    project.config({ engines: [{ kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: 'drizzle/drizzle.config.ts' }] });
  });
  afterAll(() => project.cleanup());

  const cli = (url: string, ...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: url } });
  const kit = (url: string) => drizzleKit(project.dir, url, 'migrate', '--config', 'drizzle/drizzle.config.ts');

  it(
    'after polymigrate up, drizzle-kit migrate applies nothing: the rows are the ones drizzle writes',
    async () => {
      const db = await createTestDatabase('dzcompat');
      try {
        const up = await cli(db.url, 'up');
        expect(up.code, up.stderr).toBe(0);
        const rows = await query(db.url, HISTORY);
        // hash = SHA-256 of the file text, created_at = the journal's `when`, in journal order.
        expect(rows.map((r) => [r.hash, Number(r.created_at)])).toEqual(
          journal.entries.map((e) => [
            createHash('sha256')
              .update(fs.readFileSync(project.path('drizzle/migrations', `${e.tag}.sql`), 'utf8'))
              .digest('hex'),
            e.when,
          ]),
        );
        const migrate = await kit(db.url);
        expect(migrate.code, migrate.output).toBe(0);
        expect(await query(db.url, HISTORY)).toEqual(rows);
      } finally {
        await db.drop();
      }
    },
    testBudget({ cli: 2, query: 2 }),
  );

  it(
    'after drizzle-kit migrate, polymigrate status shows everything applied; down + drizzle-kit migrate re-applies the newest',
    async () => {
      const db = await createTestDatabase('dzcompat');
      try {
        const migrate = await kit(db.url);
        expect(migrate.code, migrate.output).toBe(0);
        const status = await cli(db.url, 'status', '--json');
        expect(status.code, status.stderr).toBe(0);
        expect(status.json().engines[0].migrations.map((m: any) => [m.id, m.state])).toEqual(TAGS.map((t) => [t, 'applied']));
        const before = await query(db.url, HISTORY);

        const down = await cli(db.url, 'down', '--engine', 'drizzle');
        expect(down.code, down.stderr).toBe(0);
        expect(await query(db.url, HISTORY)).toEqual(before.slice(0, 2));
        expect(await query(db.url, "SELECT to_regclass('public.daily_rollups') AS t")).toEqual([{ t: null }]);

        const again = await kit(db.url);
        expect(again.code, again.output).toBe(0);
        const after = await query(db.url, HISTORY);
        expect(after.map((r) => [r.hash, r.created_at])).toEqual(before.map((r) => [r.hash, r.created_at]));
        expect(await query(db.url, "SELECT to_regclass('public.daily_rollups')::text AS t")).toEqual([{ t: 'daily_rollups' }]);
        const final = await cli(db.url, 'status', '--json');
        expect(final.code, final.stderr).toBe(0);
      } finally {
        await db.drop();
      }
    },
    testBudget({ cli: 5, query: 2 }),
  );
});
