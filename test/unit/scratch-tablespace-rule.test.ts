import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoveredMigration } from '../../src/adapter/contract.js';
import { mentionsTablespace } from '../../src/shadow/scratch-placement.js';
import { TempProject } from '../helpers/project.js';

const migration = (path: string): DiscoveredMigration => ({ id: path, path, hasDown: false, transactional: true });

/**
 * The exactness rule of the memory tablespace: a scratch database stays on disk when any file of
 * any migration names a tablespace (it reads the file system; no database involved).
 */
describe('mentionsTablespace (which migrations keep the scratch database on disk)', () => {
  let project: TempProject;
  afterEach(() => project?.cleanup());

  const discovered = (...engines: Array<[string, string[]]>) => new Map(engines.map(([name, paths]) => [name, paths.map((p) => migration(project.path(p)))]));

  it('is false when no file says it, and true for a file that does, in any case, in any engine', () => {
    project = new TempProject('pm-ts-rule-');
    project.write('db/0001_a.sql', 'CREATE TABLE a (id int);\n');
    project.write('db/0002_b.sql', 'CREATE TABLE b (id int);\n');
    project.write('cms/20260101_x.ts', 'export async function up() { await db.execute(sql`CREATE TABLE x ()`) }\n');
    const files = discovered(['app', ['db/0001_a.sql', 'db/0002_b.sql']], ['cms', ['cms/20260101_x.ts']]);
    expect(mentionsTablespace(files)).toBe(false);
    project.write('cms/20260101_x.ts', 'export async function up() { await db.execute(sql`ALTER TABLE x SET TableSpace pg_default`) }\n');
    expect(mentionsTablespace(files)).toBe(true);
  });

  it('reads every file under a migration that is a folder, not only its script', () => {
    project = new TempProject('pm-ts-rule-');
    project.write('prisma/20260101000000_init/migration.sql', 'CREATE TABLE a (id int);\n');
    project.write('prisma/20260101000000_init/notes/moved.md', 'Moved to the fast disk with ALTER TABLE … SET TABLESPACE.\n');
    expect(mentionsTablespace(discovered(['prisma', ['prisma/20260101000000_init']]))).toBe(true);
    project.remove('prisma/20260101000000_init/notes');
    expect(mentionsTablespace(discovered(['prisma', ['prisma/20260101000000_init']]))).toBe(false);
  });

  it("reads a file's siblings named like it up to the first dot (a separate down file), not the other migrations' siblings", () => {
    project = new TempProject('pm-ts-rule-');
    project.write('db/0001_a.sql', 'CREATE TABLE a (id int);\n');
    project.write('db/0001_a.down.sql', 'ALTER TABLE a SET TABLESPACE pg_default;\n');
    project.write('db/0002_b.sql', 'CREATE TABLE b (id int);\n');
    project.write('db/0003_c.down.sql', '-- tablespace: not a sibling of a listed migration\n');
    expect(mentionsTablespace(discovered(['app', ['db/0001_a.sql']]))).toBe(true);
    expect(mentionsTablespace(discovered(['app', ['db/0002_b.sql']]))).toBe(false);
  });

  it('counts a migration that cannot be read as one that says it (the disk is the safe side)', () => {
    project = new TempProject('pm-ts-rule-');
    expect(mentionsTablespace(discovered(['app', ['db/0001_gone.sql']]))).toBe(true);
    expect(mentionsTablespace(new Map())).toBe(false);
  });
});
