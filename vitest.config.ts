import { defineConfig } from 'vitest/config';
import { budget, STEP_MS } from './test/helpers/time-budget.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // A test without its own budget runs up to four fast CLI steps (most integration tests: a set-up
    // run, the run under test, a status, a check); one that runs more, or Payload, Prisma's CLI or
    // a server, counts its steps with testBudget() (test/helpers/time-budget.ts).
    testTimeout: budget(4 * STEP_MS.cli),
    // A file's set-up: creating its database, a project copy, sometimes a first run.
    hookTimeout: budget(4 * STEP_MS.cli),
    pool: 'forks',
    // Two cores: database-heavy files in parallel beyond this only queue up.
    maxWorkers: 3,
  },
});
