import fs from 'node:fs';
import path from 'node:path';
import { TempProject } from './project.js';
import { REPO_ROOT } from './run-cli.js';
import { runProcess } from './run-process.js';
import { budget, STEP_MS } from './time-budget.js';

export const DRIZZLE_KIT = path.join(REPO_ROOT, 'node_modules', '.bin', 'drizzle-kit');

export interface JournalEntrySpec {
  tag: string;
  when: number;
  idx?: number;
  sql: string;
  down?: string;
}

/**
 * A temp project drizzle-kit can run in: node_modules linked to the repository's (drizzle-kit and
 * drizzle-orm resolve from there), a drizzle.config.ts whose paths work from the project folder,
 * and a migrations folder `db/` with a hand-written journal.
 */
export function drizzleProject(prefix: string, entries: JournalEntrySpec[] = [], extraConfig = ''): TempProject {
  const project = new TempProject(prefix);
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir');
  project.write(
    'drizzle.config.ts',
    `import { defineConfig } from 'drizzle-kit';
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema.ts',
  out: './db',
  dbCredentials: { url: process.env.DATABASE_URL ?? '' },${extraConfig}
});
`,
  );
  project.write(
    'schema.ts',
    `import { pgTable, serial } from 'drizzle-orm/pg-core';
export const things = pgTable('things', { id: serial('id').primaryKey() });
`,
  );
  writeJournal(project, entries);
  return project;
}

export function writeJournal(project: TempProject, entries: JournalEntrySpec[], dir = 'db'): void {
  const journal = {
    version: '7',
    dialect: 'postgresql',
    entries: entries.map((e, i) => ({ idx: e.idx ?? i, version: '7', when: e.when, tag: e.tag, breakpoints: true })),
  };
  project.write(`${dir}/meta/_journal.json`, `${JSON.stringify(journal, null, 2)}\n`);
  for (const e of entries) {
    project.write(`${dir}/${e.tag}.sql`, e.sql);
    if (e.down !== undefined) project.write(`${dir}/${e.tag}.down.sql`, e.down);
  }
}

/** drizzle-kit itself (an oracle, or to push a schema): killed after a CLI run's budget. */
export async function runDrizzleKit(cwd: string, databaseUrl: string, ...args: string[]): Promise<{ code: number; output: string }> {
  const result = await runProcess(DRIZZLE_KIT, args, { cwd, env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' }, timeoutMs: budget(STEP_MS.cli) });
  return { code: result.code, output: result.output };
}
