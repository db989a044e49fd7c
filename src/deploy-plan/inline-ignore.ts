import { IGNORE_UNKNOWN_CODE, IGNORE_WITHOUT_REASON, ruleFor } from './rules/catalog.js';
import type { Finding, IgnoreDirective, RuleMeta, StatementTrace } from './types.js';

/**
 * Inline ignores: `-- polymigrate-ignore CODE[, CODE…]: reason` in a migration's SQL.
 *
 * Scope, decided by where the comment stands (only comments between statements count):
 * - directly above a statement (no blank line between them): that statement;
 * - at the end of a statement's last line (`…; -- polymigrate-ignore …`): that statement;
 * - in the comments at the top of the file, separated from the first statement by a blank line:
 *   every statement of the file.
 * CODE is a rule's code (PM101) or name (index-without-concurrently). The reason is required: a
 * directive without one silences nothing and is itself reported (PM901); an unknown code is
 * reported too (PM902). Ignored findings stay in every report, with their reason.
 */
const DIRECTIVE = /--\s*polymigrate-ignore\b([^\n]*)/;

export function ignoresOf(statements: readonly StatementTrace[]): IgnoreDirective[] {
  const directives: IgnoreDirective[] = [];
  for (const statement of statements) {
    const lines = (statement.statement.leading ?? '').split('\n');
    lines.forEach((text, k) => {
      const match = DIRECTIVE.exec(text);
      if (!match) return;
      const line = statement.statement.line !== undefined ? statement.statement.line - (lines.length - 1 - k) : undefined;
      directives.push({ ...parseDirective(match[1]!), ...placement(statement.index, lines, k), ...fileOf(statement), ...(line !== undefined ? { line } : {}) });
    });
  }
  return directives;
}

function parseDirective(rest: string): { codes: string[]; reason?: string } {
  const colon = rest.indexOf(':');
  const codes = (colon === -1 ? rest : rest.slice(0, colon)).split(/[\s,]+/).filter(Boolean);
  const reason = colon === -1 ? '' : rest.slice(colon + 1).trim();
  return { codes, ...(reason ? { reason } : {}) };
}

function placement(index: number, lines: string[], k: number): Pick<IgnoreDirective, 'scope' | 'statement'> {
  // The rest of the previous statement's last line.
  if (index > 0 && k === 0) return { scope: 'statement', statement: index - 1 };
  const blankBelow = lines.slice(k + 1, -1).some((l) => l.trim() === '');
  return index === 0 && blankBelow ? { scope: 'file', statement: 0 } : { scope: 'statement', statement: index };
}

function fileOf(statement: StatementTrace): { file?: string } {
  return statement.statement.file ? { file: statement.statement.file } : {};
}

/** Mark the findings the directives silence, and report the directives that cannot silence anything. */
export function applyIgnores(findings: Finding[], directives: readonly IgnoreDirective[], statements: readonly StatementTrace[]): Finding[] {
  const out = findings.map((finding) => {
    const directive = directives.find((d) => d.reason && covers(d, finding) && d.codes.some((c) => ruleFor(c)?.code === finding.code));
    return directive ? { ...finding, ignored: { reason: directive.reason!, scope: directive.scope, ...(directive.line ? { line: directive.line } : {}) } } : finding;
  });
  for (const directive of directives) {
    const at = statements[directive.statement];
    const written = `-- polymigrate-ignore ${directive.codes.join(', ')}`;
    if (!directive.reason) {
      out.push(meta(IGNORE_WITHOUT_REASON, directive, at, `${written} gives no reason, so it silences nothing: write "${written}: why it is safe here"`));
    }
    for (const code of directive.codes.filter((c) => !ruleFor(c))) {
      out.push(meta(IGNORE_UNKNOWN_CODE, directive, at, `${written} names ${code}, which is no rule's code or name: it silences nothing`));
    }
    if (directive.codes.length === 0) out.push(meta(IGNORE_UNKNOWN_CODE, directive, at, '-- polymigrate-ignore names no code: it silences nothing'));
  }
  return out;
}

function covers(directive: IgnoreDirective, finding: Finding): boolean {
  return directive.scope === 'file' || directive.statement === finding.statement;
}

function meta(rule: RuleMeta, directive: IgnoreDirective, statement: StatementTrace | undefined, message: string): Finding {
  return {
    code: rule.code,
    name: rule.name,
    level: rule.level,
    baseLevel: rule.level,
    statement: directive.statement,
    ...((directive.file ?? statement?.statement.file) ? { file: directive.file ?? statement?.statement.file } : {}),
    ...(directive.line ? { line: directive.line } : {}),
    message,
    safer: rule.safer,
    basis: 'parsed',
  };
}
