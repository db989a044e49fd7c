import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from './database.js';
import { TempProject } from './project.js';
import { runCli, type CliResult } from './run-cli.js';

export interface CliProject {
  project: TempProject;
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  /** The built CLI in the project folder, with DATABASE_URL pointing at the project's database. */
  cli: (...args: string[]) => Promise<CliResult>;
}

/**
 * The usual setup of a CLI test file: a temp project folder and a fresh database of its own,
 * created before the file's tests (then `setup` writes the config and migrations) and removed after.
 */
export function cliProject(prefix: string, setup: (project: TempProject, db: CliProject['db']) => void | Promise<void>): CliProject {
  const t = {
    cli: (...args: string[]) => runCli(args, { cwd: t.project.dir, env: { DATABASE_URL: t.db.url } }),
  } as CliProject;
  beforeAll(async () => {
    t.db = await createTestDatabase(prefix);
    t.project = new TempProject();
    await setup(t.project, t.db);
  });
  afterAll(async () => {
    await t.db?.drop();
    t.project?.cleanup();
  });
  return t;
}
