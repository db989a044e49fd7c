import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/embedded-server.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

describe('--embedded', () => {
  let project: TempProject;
  let port: number;
  beforeAll(async () => {
    project = new TempProject();
    // As root, PostgreSQL runs as the postgres user, which must be able to reach the data folder.
    fs.chmodSync(project.dir, 0o755);
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_notes.sql', 'CREATE TABLE notes (id serial PRIMARY KEY, body text);\n');
    port = await freePort();
  });
  afterAll(() => project.cleanup());

  it(
    'runs commands against a persistent local server with data under .polymigrate/',
    async () => {
      const env = { DATABASE_URL: undefined, POLYMIGRATE_EMBEDDED_PORT: String(port) };
      // Each --embedded command starts the server (the first one initialises its data), runs, and stops it.
      const timeoutMs = budget(2 * STEP_MS.server + STEP_MS.cli);
      const up = await runCli(['up', '--embedded'], { cwd: project.dir, env, timeoutMs });
      expect(up.code).toBe(0);
      expect(up.stdout).toContain('postgres://postgres:****@127.0.0.1');
      expect(fs.existsSync(project.path('.polymigrate/pgdata/PG_VERSION'))).toBe(true);
      // A second command starts the same data again: what up applied is still there.
      const status = await runCli(['status', '--embedded', '--json'], { cwd: project.dir, env, timeoutMs });
      expect(status.code).toBe(0);
      expect(status.json().engines[0].migrations[0]).toMatchObject({ id: '1_notes', state: 'applied' });
      const conflict = await runCli(['status', '--embedded', '--url', 'postgres://x@h/db'], { cwd: project.dir, env });
      expect(conflict.code).toBe(2);
    },
    testBudget({ server: 4, cli: 3 }),
  );
});
