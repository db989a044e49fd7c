import type { MigrationAdapter } from './contract.js';

/**
 * Custom adapters come from user config as plain objects; check their shape once at load time so
 * a mistake is reported with its config key instead of failing halfway through a run. Returns the
 * problems found (empty when the object is a usable adapter). What each part must hold is
 * documented in src/adapter/contract.ts (published as `polymigrate/adapter-kit`).
 */
export function adapterProblems(candidate: unknown): string[] {
  if (candidate === null || typeof candidate !== 'object') return ['must be an object'];
  const a = candidate as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['name', 'kind', 'location']) {
    if (typeof a[key] !== 'string' || a[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (typeof a.rollbackHint !== 'function') problems.push('"rollbackHint" must be a function');
  const rollback = capabilityProblems(a.capabilities, problems);
  partProblems(a, 'source', ['discover', 'create'], problems);
  partProblems(a, 'history', ['read'], problems);
  runnerProblems(a.runner, rollback, problems);
  return problems;
}

function capabilityProblems(capabilities: unknown, problems: string[]): unknown {
  const caps = capabilities as Record<string, unknown> | undefined;
  if (!caps || typeof caps !== 'object') {
    problems.push('"capabilities" must be an object { rollback, lockKeys? }');
    return undefined;
  }
  if (!['native', 'down-file', 'none'].includes(caps.rollback as string)) {
    problems.push('"capabilities.rollback" must be "native", "down-file" or "none"');
  }
  return caps.rollback;
}

function partProblems(a: Record<string, unknown>, part: string, functions: string[], problems: string[]): void {
  const value = a[part] as Record<string, unknown> | undefined;
  if (!value || typeof value !== 'object') {
    problems.push(`"${part}" must be an object with ${functions.map((f) => `"${f}"`).join(' and ')}`);
    return;
  }
  for (const name of functions) if (typeof value[name] !== 'function') problems.push(`"${part}.${name}" must be a function`);
}

const RUNNER_FUNCTIONS: Record<string, { required: string[]; revert?: string }> = {
  sql: { required: ['script', 'history'] },
  single: { required: ['apply'], revert: 'revert' },
  batch: { required: ['applyBatch'], revert: 'revertBatch' },
};

function runnerProblems(runner: unknown, rollback: unknown, problems: string[]): void {
  const r = runner as Record<string, unknown> | undefined;
  const kind = r && typeof r === 'object' ? RUNNER_FUNCTIONS[r.granularity as string] : undefined;
  if (!r || !kind) {
    problems.push('"runner.granularity" must be "sql", "single" or "batch"');
    return;
  }
  const required = [...kind.required, ...(kind.revert && rollback !== 'none' ? [kind.revert] : [])];
  for (const name of required) if (typeof r[name] !== 'function') problems.push(`"runner.${name}" must be a function`);
  if (r.granularity === 'single' && typeof r.transactional !== 'boolean') problems.push('"runner.transactional" must be true or false');
  if (r.granularity === 'sql' && !['row-first', 'atomic-or-row-first', 'atomic-only'].includes(r.ownTransactions as string)) {
    problems.push('"runner.ownTransactions" must be "row-first", "atomic-or-row-first" or "atomic-only"');
  }
}

/** An engine entry that is an adapter object (not a built-in kind's options); an adapter of the old one-interface shape counts, to be told what changed. */
export function isAdapterObject(value: unknown): value is MigrationAdapter {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { source?: unknown; discover?: unknown };
  return typeof candidate.source === 'object' || typeof candidate.discover === 'function';
}
