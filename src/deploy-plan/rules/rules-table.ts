import { ALL_RULES } from './catalog.js';

/**
 * The README's table of plan rules, from the rules themselves: a test checks that README.md holds
 * exactly this, so the documentation cannot drift from the code.
 */
export function rulesMarkdownTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
  return [
    '| Code | Name | Level before sizes | What it finds | The safer way |',
    '| --- | --- | --- | --- | --- |',
    ...ALL_RULES.map((r) => `| ${r.code} | \`${r.name}\` | ${r.level} | ${cell(r.finds)} | ${cell(r.safer)} |`),
  ].join('\n');
}
