import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliProject } from '../helpers/cli-project.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

/**
 * A custom engine in a TypeScript config, built on what 'polymigrate/adapter-kit' exports (error classes,
 * runSqlScript), run by the shipped bin. The bin is a bundle and the config imports the library:
 * errors raised with the library's classes must still map to their exit codes and details.
 */
const CONFIG = `import { MigrationFileError, runSqlScript, type MigrationAdapter } from 'polymigrate/adapter-kit';
import fs from 'node:fs';
import path from 'node:path';

// polymigrate runs in the project folder.
const dir = path.resolve('scripts');
const applied: string[] = [];

const scripts: MigrationAdapter = {
  name: 'scripts',
  kind: 'script-folder',
  location: dir,
  capabilities: { rollback: 'none' },
  source: {
    async discover() {
      return fs.readdirSync(dir).sort().map((file) => {
        if (!file.endsWith('.sql')) throw new MigrationFileError(path.join(dir, file), 'is not a .sql file.', 'Rename it or move it out.');
        return { id: file.replace(/\\.sql$/, ''), path: path.join(dir, file), hasDown: false, transactional: true };
      });
    },
    async create() {
      throw new Error('not supported');
    },
  },
  history: {
    async read() {
      return applied.map((id) => ({ id, state: 'applied' as const }));
    },
  },
  runner: {
    granularity: 'single',
    transactional: true,
    async apply(migration, ctx) {
      await runSqlScript(ctx.db, { file: migration.path, text: fs.readFileSync(migration.path, 'utf8'), lineOffset: 0 });
      applied.push(migration.id);
    },
  },
  rollbackHint: () => 'undo it by hand',
};

export default { engines: [scripts] };
`;

describe('a custom engine built on the library, run by the bin', () => {
  const t = cliProject('custom', (p) => {
    fs.mkdirSync(p.path('node_modules'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, p.path('node_modules/polymigrate'));
    p.write('polymigrate.config.ts', CONFIG);
  });

  it("a PostgreSQL error from the library's runSqlScript keeps its file:line:column", async () => {
    t.project.write('scripts/1_bad.sql', 'SELECT 1;\nSELECT * FROM no_such_table;\n');
    const up = await t.cli('up', '--json');
    expect(up.code).toBe(1);
    const failed = up.json().results[0];
    expect(failed.status).toBe('failed');
    expect(failed.error.message).toContain('no_such_table');
    expect(failed.error.file).toBe(t.project.path('scripts/1_bad.sql'));
    expect([failed.error.line, failed.error.column]).toEqual([2, 15]);
    t.project.remove('scripts/1_bad.sql');
  });

  it("the library's MigrationFileError is a usage error (exit 2) with its hint", async () => {
    t.project.write('scripts/notes.txt', 'not a migration\n');
    const status = await t.cli('status');
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`${t.project.path('scripts/notes.txt')}: is not a .sql file.`);
    expect(status.stderr).toContain('Rename it or move it out.');
    t.project.remove('scripts/notes.txt');
  });
});
