import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { runProcess } from '../helpers/run-process.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';

/** The demo starts an embedded PostgreSQL and runs six commands; up, down and up load Payload. */
const DEMO_MS = testBudget({ server: 2, payload: 3, cli: 3 });

/** The README's first command must keep working: run the demo and check what it shows. */
describe('npm run demo', () => {
  it(
    'runs status → up → status → down → status → up on the example project and exits 0',
    async () => {
      const demo = await runProcess(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.mjs')], {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', DATABASE_URL: undefined },
        timeoutMs: DEMO_MS,
      });
      expect(demo.output).not.toContain('expected');
      expect(demo.code).toBe(0);
      expect(demo.output).toContain('pending migration(s)');
      expect(demo.output).toMatch(/Applied \d+ migration\(s\)\./);
      expect(demo.output).toContain('up to date');
      expect(demo.output).toMatch(/✓ payload\s+\S+\s+reverted/);
      expect(demo.output).toContain('down stopped at drizzle 0001_page_views: it has no down file');
      expect(demo.output).not.toContain('DeprecationWarning');
      expect(demo.output).toContain('To undo it by hand:');
      expect(demo.output).not.toContain('demo-password');
    },
    DEMO_MS + budget(STEP_MS.query),
  );
});
