import { applyIgnores, ignoresOf } from './inline-ignore.js';
import { STATEMENT_RULES } from './rules/catalog.js';
import type { Finding, MigrationTrace, Rule, RuleHit, StatementTrace } from './types.js';

/**
 * Every rule on every statement of a traced migration, with inline ignores applied. Levels are the
 * rules' own here; risk.ts sets them from the live sizes.
 */
export function findingsOf(trace: MigrationTrace, rules: readonly Rule[] = STATEMENT_RULES): Finding[] {
  const findings = trace.statements.flatMap((statement) => {
    if (statement.outcome === 'control' && !statement.shape.control) return [];
    return rules.flatMap((rule) => rule.check({ trace, statement }).map((hit) => toFinding(rule, hit, statement)));
  });
  return applyIgnores(findings, ignoresOf(trace.statements), trace.statements);
}

function toFinding(rule: Rule, hit: RuleHit, statement: StatementTrace): Finding {
  const level = hit.level ?? rule.level;
  const { file, line } = statement.statement;
  return {
    code: rule.code,
    name: rule.name,
    level,
    baseLevel: level,
    statement: statement.index,
    ...(file ? { file } : {}),
    ...(line ? { line } : {}),
    ...(hit.relation ? { relation: hit.relation } : {}),
    message: hit.message,
    safer: rule.safer,
    basis: hit.basis,
    ...(hit.impact ? { impact: hit.impact } : {}),
  };
}
