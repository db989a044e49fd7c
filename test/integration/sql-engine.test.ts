import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/database.js';
import { TempProject } from '../helpers/project.js';
import { runCli } from '../helpers/run-cli.js';
import { cliProject } from '../helpers/cli-project.js';

describe('SQL engine with Supabase history', () => {
  const t = cliProject('supa', async (project, db) => {
    project.config({ engines: [{ kind: 'sql', name: 'supabase', migrations: 'supabase/migrations', history: 'supabase' }] });
    project.write('supabase/migrations/20260101000000_profiles.sql', 'CREATE TABLE profiles (id uuid PRIMARY KEY);\n');
    project.write('supabase/migrations/20260102000000_avatars.sql', 'ALTER TABLE profiles ADD COLUMN avatar text;\n');
    // What the Supabase CLI leaves behind after applying the first migration itself.
    await query(
      db.url,
      `CREATE SCHEMA supabase_migrations;
      CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
      CREATE TABLE profiles (id uuid PRIMARY KEY);
      INSERT INTO supabase_migrations.schema_migrations VALUES ('20260101000000', ARRAY['CREATE TABLE profiles (id uuid PRIMARY KEY)'], 'profiles');`,
    );
  });
  const { cli } = t;

  it('reads what the Supabase CLI recorded and writes rows the way it does', async () => {
    const status = await cli('status', '--json');
    expect(status.code).toBe(3);
    expect(status.json().engines[0].migrations.map((m: any) => m.state)).toEqual(['applied', 'pending']);
    const up = await cli('up');
    expect(up.code).toBe(0);
    const rows = await query(t.db.url, 'SELECT version, name, statements FROM supabase_migrations.schema_migrations ORDER BY version');
    expect(rows).toEqual([
      { version: '20260101000000', name: 'profiles', statements: ['CREATE TABLE profiles (id uuid PRIMARY KEY)'] },
      // One element per statement, split and trimmed as the Supabase CLI's parser does.
      { version: '20260102000000', name: 'avatars', statements: ['ALTER TABLE profiles ADD COLUMN avatar text'] },
    ]);
    // Nothing in polymigrate's own SQL history for a Supabase-history engine.
    expect(await query(t.db.url, "SELECT to_regclass('polymigrate.sql_migrations') AS t")).toEqual([{ t: null }]);
  });

  it('create writes a Supabase-style file and no down file (the Supabase CLI would run it)', async () => {
    const created = await cli('create', 'supabase', 'Add Avatar Index', '--json');
    expect(created.code).toBe(0);
    const doc = created.json();
    expect(doc.id).toMatch(/^\d{14}_add_avatar_index$/);
    expect(doc.files).toHaveLength(1);
    expect(fs.existsSync(doc.files[0])).toBe(true);
    expect(doc.notes.join(' ')).toContain('no down file');
  });
});

describe('create for a polymigrate-history SQL engine', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject();
    project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db/new-folder' }] });
  });
  afterAll(() => project.cleanup());

  it('writes <timestamp>_<snake_name>.sql and a down file, creating the folder, without a database', async () => {
    const result = await runCli(['create', 'app', 'AddUsers table'], { cwd: project.dir, env: { DATABASE_URL: undefined } });
    expect(result.code).toBe(0);
    const files = fs.readdirSync(project.path('db/new-folder')).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{14}_add_users_table\.down\.sql$/);
    expect(files[1]).toMatch(/^\d{14}_add_users_table\.sql$/);
    const bad = await runCli(['create', 'app', '!!!'], { cwd: project.dir });
    expect(bad.code).toBe(2);
    const unknown = await runCli(['create', 'nope', 'x'], { cwd: project.dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown engine "nope"');
  });
});
