import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query, serverPassword } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { CLI, REPO_ROOT } from '../helpers/run-cli.js';

function sh(script: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The README's Docker entrypoint recipe, run for real (this machine has no Docker engine). */
describe('Docker entrypoint recipe', () => {
  let project: TempProject;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const entrypoint = path.join(REPO_ROOT, 'examples/deploy/docker-entrypoint.sh');
  const server = ['node', '-e', 'console.log("server started")'];

  beforeAll(async () => {
    db = await createTestDatabase('docker');
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
    project.write('db/1_a.sql', 'CREATE TABLE a (id int);\n');
    // What `npm ci` gives the image: polymigrate's bin in node_modules/.bin.
    fs.mkdirSync(project.path('node_modules/.bin'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, project.path('node_modules/polymigrate'));
    fs.symlinkSync(CLI, project.path('node_modules/.bin/polymigrate'));
  });
  afterAll(async () => {
    await db.drop();
    project.cleanup();
  });

  it('migrates, then execs the server', async () => {
    const result = await sh(entrypoint, server, project.dir, { DATABASE_URL: db.url });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/✓ app\s+1_a\s+applied[\s\S]*server started/);
    expect(await query(db.url, 'SELECT id FROM polymigrate.sql_migrations')).toEqual([{ id: '1_a' }]);
    expect(result.out).not.toContain(serverPassword());
  });

  it('does not start the server when a migration fails', async () => {
    project.write('db/2_bad.sql', 'CREATE TABLE a (id int);\n');
    const result = await sh(entrypoint, server, project.dir, { DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.out).toContain('app: up 2_bad failed');
    expect(result.out).not.toContain('server started');
    project.remove('db/2_bad.sql');
  });

  it('skips migrating during a build-like phase and still starts', async () => {
    const result = await sh(entrypoint, server, project.dir, { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x', SKIP_MIGRATIONS: 'true' });
    expect(result.code).toBe(0);
    expect(result.out).toContain('Skipping migrations: SKIP_MIGRATIONS is set');
    expect(result.out).toContain('server started');
  });
});
