import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_RULES, ruleFor } from '../../src/deploy-plan/rules/catalog.js';
import { rulesMarkdownTable } from '../../src/deploy-plan/rules/rules-table.js';

/** The README's table of plan rules is the rules' own text, and every code is unique and documented. */
describe('plan rules documentation', () => {
  it('README.md holds the table generated from the rules', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(rulesMarkdownTable());
  });

  it('every rule has a unique code and name, and says what it finds, why it hurts and the safer way', () => {
    expect(new Set(ALL_RULES.map((r) => r.code)).size).toBe(ALL_RULES.length);
    expect(new Set(ALL_RULES.map((r) => r.name)).size).toBe(ALL_RULES.length);
    for (const rule of ALL_RULES) {
      expect(rule.code).toMatch(/^PM\d{3}$/);
      expect(
        [rule.finds, rule.why, rule.safer].every((text) => text.length > 8),
        rule.code,
      ).toBe(true);
      expect(ruleFor(rule.name.toUpperCase())).toBe(rule);
    }
  });
});
