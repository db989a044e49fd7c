import { levelRank } from './risk.js';
import type { DeployPlanDocument, Finding, RiskLevel } from './types.js';

/**
 * `plan --fail-on LEVEL`: the deploy is refused (exit 4) when any finding that is not ignored
 * reaches LEVEL after sizes, or when a migration fails in the trace (its risk is then critical,
 * whatever its findings). Ignored findings never count: their reason is the decision. Pure.
 */
export const FAIL_ON_EXIT_CODE = 4;

export interface FailOnVerdict {
  fail: boolean;
  exitCode: 0 | typeof FAIL_ON_EXIT_CODE;
  /** The findings at or above the level, worst first (what the CLI prints as the reason). */
  reasons: Array<Finding & { engine: string; migration: string }>;
  /** Migrations whose trace failed. */
  failedMigrations: Array<{ engine: string; id: string; summary: string }>;
}

export function failOn(plan: DeployPlanDocument, level: RiskLevel): FailOnVerdict {
  const reasons = plan.migrations
    .flatMap((m) => m.statements.flatMap((s) => s.findings.filter((f) => !f.ignored && levelRank(f.level) >= levelRank(level)).map((f) => ({ ...f, engine: m.engine, migration: m.id }))))
    .sort((a, b) => levelRank(b.level) - levelRank(a.level));
  const failedMigrations = plan.migrations.filter((m) => m.trace.outcome === 'failed').map((m) => ({ engine: m.engine, id: m.id, summary: m.risk.summary }));
  const fail = reasons.length > 0 || failedMigrations.length > 0;
  return { fail, exitCode: fail ? FAIL_ON_EXIT_CODE : 0, reasons, failedMigrations };
}

/** Parses the option's value: low, medium, high or critical. */
export function parseFailOnLevel(value: string): RiskLevel {
  const level = value.trim().toLowerCase();
  if (level === 'low' || level === 'medium' || level === 'high' || level === 'critical') return level;
  throw new Error(`--fail-on takes low, medium, high or critical; got "${value}"`);
}
