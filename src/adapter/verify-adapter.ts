import type { MigrationAdapter } from './contract.js';

/**
 * Custom adapters come from user config as plain objects; check their shape once at load time so
 * a mistake is reported with its config key instead of failing halfway through a run.
 * Returns the problems found (empty when the object is a usable adapter).
 */
export function adapterProblems(candidate: unknown): string[] {
  if (candidate === null || typeof candidate !== 'object') return ['must be an object'];
  const a = candidate as Record<string, unknown>;
  const problems: string[] = [];
  const requireString = (key: string) => {
    if (typeof a[key] !== 'string' || a[key] === '') problems.push(`"${key}" must be a non-empty string`);
  };
  const requireFunction = (key: string) => {
    if (typeof a[key] !== 'function') problems.push(`"${key}" must be a function`);
  };
  requireString('name');
  requireString('kind');
  requireString('location');
  requireFunction('discover');
  requireFunction('readHistory');
  requireFunction('create');
  requireFunction('rollbackHint');

  const caps = a.capabilities as Record<string, unknown> | undefined;
  if (!caps || typeof caps !== 'object') {
    problems.push('"capabilities" must be an object { rollback, transactional, granularity }');
    return problems;
  }
  if (!['native', 'down-file', 'none'].includes(caps.rollback as string)) {
    problems.push('"capabilities.rollback" must be "native", "down-file" or "none"');
  }
  if (typeof caps.transactional !== 'boolean') problems.push('"capabilities.transactional" must be true or false');
  if (caps.granularity === 'single') {
    // An SQL engine says what its steps are (`sql`); any other runs them itself.
    if (a.sql === undefined) {
      requireFunction('apply');
      if (caps.rollback !== 'none') requireFunction('revert');
    } else if (typeof (a.sql as Record<string, unknown>)?.script !== 'function' || typeof (a.sql as Record<string, unknown>)?.history !== 'function') {
      problems.push('"sql" must be an object with the functions "script" and "history"');
    }
  } else if (caps.granularity === 'batch') {
    requireFunction('applyBatch');
    if (caps.rollback !== 'none') requireFunction('revertBatch');
  } else {
    problems.push('"capabilities.granularity" must be "single" or "batch"');
  }
  return problems;
}

export function isAdapterObject(value: unknown): value is MigrationAdapter {
  return typeof value === 'object' && value !== null && typeof (value as { discover?: unknown }).discover === 'function';
}
