/**
 * Time budgets of the tests: how long a step may take before the test calls it hung.
 *
 * A budget is what a step needs on a busy two-core machine (several times what it takes on a
 * quiet one), multiplied by POLYMIGRATE_TEST_SLOWDOWN (default 1; `npm run test:load` sets 3).
 * A test's own timeout is the sum of its steps' budgets (`testBudget`), so a hung step is killed
 * and reported by the step's own timeout, with its output, before the test's timeout fires.
 * Budgets bound hangs only: nothing waits for a budget to pass, every wait ends on an event the
 * test observes (test/helpers/barrier.ts, pollUntil).
 */
function slowdownFromEnv(): number {
  const raw = process.env.POLYMIGRATE_TEST_SLOWDOWN;
  if (raw === undefined || raw === '') return 1;
  const factor = Number(raw);
  if (!Number.isFinite(factor) || factor < 1) {
    throw new Error(`POLYMIGRATE_TEST_SLOWDOWN must be a number ≥ 1 (how much slower than usual the machine may be); got "${raw}"`);
  }
  return factor;
}

export const SLOWDOWN = slowdownFromEnv();

/** `ms` on a busy machine, scaled by POLYMIGRATE_TEST_SLOWDOWN. */
export function budget(ms: number): number {
  return Math.round(ms * SLOWDOWN);
}

/**
 * What one step needs on a busy machine, before scaling. Quiet-machine figures in the comments
 * are from the suite's own timings on two cores; the budgets leave room for a loaded machine
 * where every process gets a fraction of a core.
 */
export const STEP_MS = {
  /** A database query or a short poll (quiet: milliseconds). */
  query: 10_000,
  /** One polymigrate CLI process on the fast engines (quiet: 0.3–1.5 s). */
  cli: 30_000,
  /** One process that loads Payload: polymigrate running Payload steps, or Payload's own CLI (quiet: 2–4 s). */
  payload: 60_000,
  /** One run of Prisma's CLI as the oracle (quiet: 2–5 s, most of it loading its WASM schema engine). */
  prisma: 60_000,
  /** Starting or stopping an embedded PostgreSQL (initdb, pg_ctl; quiet: 1–4 s). */
  server: 60_000,
  /** One install from the npm registry, npm or pnpm, a handful of packages (quiet: 0.5–4 s with a warm cache). */
  install: 120_000,
} as const;

export type StepKind = keyof typeof STEP_MS;

/** A test's timeout: the sum of the budgets of the steps it runs one after another. */
export function testBudget(steps: Partial<Record<StepKind, number>>): number {
  let ms = 0;
  for (const [kind, count] of Object.entries(steps) as Array<[StepKind, number]>) ms += STEP_MS[kind] * count;
  return budget(ms);
}
