import { createPayloadAdapter } from '../../adapters/payload/payload-adapter.js';
import { PAYLOAD_EXAMPLE_MIGRATIONS, PAYLOAD_TEST_SECRET, payloadProject } from '../helpers/payload-project.js';
import type { TempProject } from '../helpers/project.js';
import { budget, STEP_MS, testBudget } from '../helpers/time-budget.js';
import { adapterContract } from '../../src/testing/adapter-contract.js';
import { createTestDatabase } from '../helpers/database.js';

let project: TempProject;

/**
 * Payload's fixture is the example's two generated migrations: Payload orders by file name and
 * every migration has a native down(), so there are no gaps or missing downs to vary. The
 * adapter runs Payload in a child process (the built runner in dist/: run npm run build first).
 * Skipped parts of the suite, by design: Payload records no checksum (nothing to report as
 * modified), has no resolve, and a failing Payload migration is a TypeScript function whose
 * failure Payload reports without a file position (test/integration/payload.test.ts covers it).
 */
adapterContract(
  'payload',
  {
    expectedOrder: PAYLOAD_EXAMPLE_MIGRATIONS,
    revertible: PAYLOAD_EXAMPLE_MIGRATIONS,
    async setup() {
      process.env.PAYLOAD_SECRET = PAYLOAD_TEST_SECRET;
      project = payloadProject('pm-contract-payload-');
      return createPayloadAdapter({
        options: {
          kind: 'payload',
          name: 'payload',
          config: 'payload/payload.config.ts',
          migrations: project.path('payload/migrations'),
          secretEnv: 'PAYLOAD_SECRET',
          timeoutSeconds: budget(2 * STEP_MS.payload) / 1000,
          schema: 'public',
        },
        configDir: project.dir,
        journalSchema: 'polymigrate',
      });
    },
    cleanup: () => project.cleanup(),
    // payload_migrations is made by Payload's first migration: recordApplied refuses without it.
    recordAppliedFrom: 1,
    // The slowest test runs Payload twice (down, then up again).
    testTimeoutMs: testBudget({ payload: 2, query: 2 }),
  },
  { createDatabase: () => createTestDatabase('contract') },
);
