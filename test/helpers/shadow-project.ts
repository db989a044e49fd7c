import fs from 'node:fs';
import path from 'node:path';
import { TempProject } from './project.js';
import { REPO_ROOT } from './run-cli.js';

/** The example's engines, in the repository's config order (polymigrate.config.ts). */
export const EXAMPLE_ENGINES = [
  { kind: 'prisma', migrations: 'prisma/migrations' },
  { kind: 'drizzle', migrations: 'drizzle/migrations', drizzleConfig: 'drizzle/drizzle.config.ts' },
  { kind: 'payload', config: 'payload/payload.config.ts', migrations: 'payload/migrations' },
  { kind: 'sql', name: 'reporting', migrations: 'sql/reporting' },
];

/**
 * A copy of the repository's example project (Prisma → Drizzle → Payload → SQL) in a temp folder
 * the postgres OS user can reach (the embedded shadow server keeps its data under it, and runs as
 * that user when we are root), with node_modules linked for Payload and drizzle-kit.
 */
export function exampleProject(prefix: string, engines: Array<Record<string, unknown>> = EXAMPLE_ENGINES): TempProject {
  const project = new TempProject(prefix);
  fs.chmodSync(project.dir, 0o755);
  for (const folder of ['prisma', 'drizzle', 'payload', 'sql']) {
    fs.cpSync(path.join(REPO_ROOT, folder), project.path(folder), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir');
  project.config({ engines });
  return project;
}

/** A project of one SQL engine whose migrations are `count` small CREATE TABLEs. */
export function sqlProject(prefix: string, count: number): TempProject {
  const project = new TempProject(prefix);
  fs.chmodSync(project.dir, 0o755);
  for (let i = 1; i <= count; i += 1) writeSqlMigration(project, i);
  project.config({ engines: [{ kind: 'sql', name: 'app', migrations: 'db' }] });
  return project;
}

export function sqlMigrationId(i: number): string {
  return `${String(i).padStart(4, '0')}_table_${i}`;
}

export function writeSqlMigration(project: TempProject, i: number, extra = ''): void {
  project.write(`db/${sqlMigrationId(i)}.sql`, `CREATE TABLE t_${i} (id serial PRIMARY KEY, note text${extra});\n`);
}
