import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TempProject } from './project.js';
import { REPO_ROOT } from './run-cli.js';
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
export function runDrizzleKit(cwd: string, databaseUrl: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DRIZZLE_KIT, args, { cwd, env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timeoutMs = budget(STEP_MS.cli);
    const timer = setTimeout(() => {
      output += `\n[test] drizzle-kit was still running after ${timeoutMs} ms (its budget): killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}
