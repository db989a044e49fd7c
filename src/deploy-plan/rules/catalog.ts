import type { Rule, RuleMeta } from '../types.js';
import { columnRules } from './columns.js';
import { constraintRules } from './constraints.js';
import { destructiveRules } from './destructive.js';
import { indexRules } from './indexes.js';
import { QUEUE_RULE } from './live-queue.js';
import { lockRules } from './locks.js';
import { renameRules } from './renames.js';
import { styleRules } from './style.js';
import { transactionRules } from './transactions.js';

/**
 * Every rule `plan` knows, by family. Codes are stable: a rule that is retired keeps its code
 * unused; a new rule takes the next free number of its family (PM1xx indexes, PM2xx constraints,
 * PM3xx locks, PM4xx columns, PM5xx destructive, PM6xx renames, PM7xx transactions, PM8xx style,
 * PM9xx inline ignores).
 */
export const STATEMENT_RULES: readonly Rule[] = [...indexRules, ...constraintRules, ...lockRules, ...columnRules, ...destructiveRules, ...renameRules, ...transactionRules, ...styleRules];

export const IGNORE_WITHOUT_REASON: RuleMeta = {
  code: 'PM901',
  name: 'ignore-without-reason',
  family: 'ignores',
  level: 'low',
  finds: 'A `-- polymigrate-ignore CODE` comment with no reason after a colon.',
  why: 'An ignore is a decision someone made about a risk; without the reason, the next reader cannot tell whether it still holds. It silences nothing until it says why.',
  safer: '-- polymigrate-ignore PM101: the table holds 40 rows and never grows (lookup table)',
  anchors: ['polymigrate'],
};

export const IGNORE_UNKNOWN_CODE: RuleMeta = {
  code: 'PM902',
  name: 'ignore-unknown-code',
  family: 'ignores',
  level: 'low',
  finds: 'A `-- polymigrate-ignore` comment naming a code or name no rule has.',
  why: 'It silences nothing; most often a typo, so the finding it was meant for is still reported.',
  safer: 'Use a code from the table of rules (PM101) or its name (index-without-concurrently).',
  anchors: ['polymigrate'],
};

/** Every rule's description, in code order: the README table and `plan`'s documentation. */
export const ALL_RULES: readonly RuleMeta[] = [...STATEMENT_RULES, QUEUE_RULE, IGNORE_WITHOUT_REASON, IGNORE_UNKNOWN_CODE].slice().sort((a, b) => a.code.localeCompare(b.code));

const BY_KEY = new Map<string, RuleMeta>(
  ALL_RULES.flatMap(
    (rule) =>
      [
        [rule.code.toUpperCase(), rule],
        [rule.name.toUpperCase(), rule],
      ] as Array<[string, RuleMeta]>,
  ),
);

/** The rule a code or a name refers to (case does not matter). */
export function ruleFor(codeOrName: string): RuleMeta | undefined {
  return BY_KEY.get(codeOrName.trim().toUpperCase());
}
