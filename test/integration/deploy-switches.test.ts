import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolymigrate } from '../../src/api/polymigrate.js';
import { createTestDatabase } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';

describe('skip switches', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'SELECT 1;\n');
  });
  afterAll(() => project.cleanup());

  it.each([
    [{ POLYMIGRATE_SKIP: '1' }, 'POLYMIGRATE_SKIP is set'],
    [{ SKIP_MIGRATIONS: 'true' }, 'SKIP_MIGRATIONS is set'],
    [{ MIGRATION_ENABLED: 'false' }, 'MIGRATION_ENABLED is false'],
    [{ NEXT_PHASE: 'phase-production-build' }, 'Next.js production build'],
  ])('%j makes up exit 0 with a one-line reason and no database', async (env, reason) => {
    // An unreachable URL proves no connection is attempted.
    const result = await runCli(['up'], { cwd: project.dir, env: { ...env, DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' } });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toContain(reason);
  });

  it('an off value does not skip', async () => {
    const result = await runCli(['up'], { cwd: project.dir, env: { POLYMIGRATE_SKIP: '0', MIGRATION_ENABLED: 'true', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' } });
    expect(result.code).toBe(1);
  });
});

describe('--log-format json and the library API', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('api');
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n');
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('prints one JSON object per line with the fields log collectors need', async () => {
    const result = await runCli(['up', '--log-format', 'json'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const step = lines.find((l) => l.migration === '1_a');
    expect(step).toMatchObject({ level: 'info', engine: 'app', migration: '1_a', direction: 'up' });
    for (const key of ['time', 'runId', 'instance', 'durationMs', 'message']) expect(step).toHaveProperty(key);
    expect(new Set(lines.map((l) => l.runId)).size).toBe(1);
    await runCli(['down', '--engine', 'app'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
  });

  it("status/up/down return the CLI's JSON documents and emit progress events", async () => {
    const migrator = await createPolymigrate({ config: { engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] }, cwd: project.dir, databaseUrl: db.url });
    try {
      const events: string[] = [];
      migrator.on('plan', (plan) => events.push(`plan ${plan.steps.length}`));
      migrator.on('step:finish', (r) => events.push(`${r.id} ${r.status}`));
      expect(await migrator.status()).toMatchObject({ version: 1, pending: 1, upToDate: false });
      const result = await migrator.up();
      expect(result).toMatchObject({ version: 1, command: 'up', outcome: 'succeeded' });
      expect(events).toEqual(['plan 1', '1_a applied']);
      expect((await migrator.status()).upToDate).toBe(true);
      const back = await migrator.down();
      expect(back).toMatchObject({ outcome: 'succeeded', results: [{ id: '1_a', status: 'reverted' }] });
    } finally {
      await migrator.close();
    }
  });
});
