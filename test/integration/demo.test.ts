import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

/** The demo starts an embedded PostgreSQL and runs six commands; up, down and up load Payload. */
const DEMO_MS = testBudget({ server: 2, payload: 3, cli: 3 });

/** The README's first command must keep working: run the demo and check what it shows. */
describe('npm run demo', () => {
  it(
    'runs status → up → status → down → status → up on the example project and exits 0',
    async () => {
      const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.mjs')], {
          cwd: REPO_ROOT,
          env: { ...process.env, NO_COLOR: '1', DATABASE_URL: undefined },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
        });
        child.stderr.on('data', (d) => {
          text += d;
        });
        const timer = setTimeout(() => {
          text += `\n[test] the demo was still running after ${DEMO_MS} ms (its budget): killed\n`;
          child.kill('SIGKILL');
        }, DEMO_MS);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, text });
        });
      });
      expect(output.text).not.toContain('expected');
      expect(output.code).toBe(0);
      expect(output.text).toContain('pending migration(s)');
      expect(output.text).toMatch(/Applied \d+ migration\(s\)\./);
      expect(output.text).toContain('up to date');
      expect(output.text).toMatch(/✓ payload\s+\S+\s+reverted/);
      expect(output.text).toContain('down stopped at drizzle 0001_page_views: it has no down file');
      expect(output.text).not.toContain('DeprecationWarning');
      expect(output.text).toContain('To undo it by hand:');
      expect(output.text).not.toContain('demo-password');
    },
    DEMO_MS + budget(STEP_MS.query),
  );
});
