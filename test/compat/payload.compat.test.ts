import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/database.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadCli, payloadProject, payloadStatus } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { forbidInOutput, runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

forbidInOutput(PAYLOAD_TEST_SECRET);

const ROWS = 'SELECT id, name, batch::int AS batch FROM payload_migrations ORDER BY id';
/** Tables of the example's collections (the first migration creates them, its down drops them). */
const TABLES = ['users', 'herbs', 'formulas', 'practitioners', 'articles', '_articles_v', 'payload_migrations'];

/**
 * Payload's own CLI as the oracle, on the repository's payload/ example: what polymigrate
 * records, Payload reads back, and the other way round. One database, one story, because every
 * Payload process costs seconds (each test's budget counts them: polymigrate's up and down load
 * Payload, its status does not; every payload command does).
 */
describe("payload compat: Payload's CLI agrees with polymigrate", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let project: TempProject;
  const cli = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db.url, PAYLOAD_SECRET: PAYLOAD_TEST_SECRET }, timeoutMs: budget(STEP_MS.payload) });
  /** Each table's to_regclass (null when it does not exist). */
  const tables = async () => Object.values((await query(db.url, `SELECT ${TABLES.map((t) => `to_regclass('public.${t}')::text AS "${t}"`).join(', ')}`))[0] ?? {});

  beforeAll(async () => {
    db = await createTestDatabase('pycompat');
    project = payloadProject('pm-compat-payload-');
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it(
    'after polymigrate up, payload migrate:status shows every migration ran and payload migrate changes nothing',
    async () => {
      const up = await cli('up');
      expect(up.code, up.stderr).toBe(0);
      expect(await payloadStatus(project, db.url)).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((name) => [name, '1', 'Yes']));
      const rows = await query(db.url, ROWS);
      const migrate = await payloadCli(project, db.url, 'migrate');
      expect(migrate.code, migrate.output).toBe(0);
      expect(await query(db.url, ROWS)).toEqual(rows);
    },
    testBudget({ payload: 3, query: 2 }),
  );

  it(
    'after polymigrate down, Payload shows the batch not run and its tables are gone',
    async () => {
      const down = await cli('down');
      expect(down.code, down.stderr).toBe(0);
      expect(await payloadStatus(project, db.url)).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((name) => [name, '', 'No']));
      expect(await tables()).toEqual(TABLES.map(() => null));
    },
    testBudget({ payload: 2, query: 1 }),
  );

  it(
    'after payload migrate, polymigrate status agrees; a polymigrate down of one step is seen by Payload, which re-applies it',
    async () => {
      const migrate = await payloadCli(project, db.url, 'migrate');
      expect(migrate.code, migrate.output).toBe(0);
      const status = await cli('status', '--json');
      expect(status.code, status.stderr).toBe(0);
      expect(status.json().engines[0].migrations.map((m: any) => [m.id, m.state])).toEqual(PAYLOAD_EXAMPLE_MIGRATIONS.map((id) => [id, 'applied']));

      const down = await cli('down', '--engine', 'cms');
      expect(down.code, down.stderr).toBe(0);
      expect(await payloadStatus(project, db.url)).toEqual([
        [PAYLOAD_EXAMPLE_MIGRATIONS[0], '1', 'Yes'],
        [PAYLOAD_EXAMPLE_MIGRATIONS[1], '', 'No'],
      ]);

      const again = await payloadCli(project, db.url, 'migrate');
      expect(again.code, again.output).toBe(0);
      expect((await query(db.url, ROWS)).map((r) => [r.name, r.batch])).toEqual([
        [PAYLOAD_EXAMPLE_MIGRATIONS[0], 1],
        [PAYLOAD_EXAMPLE_MIGRATIONS[1], 2],
      ]);
    },
    testBudget({ payload: 4, cli: 1, query: 1 }),
  );
});
