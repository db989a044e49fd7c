import { blocksOf } from '../lock-modes.js';
import type { ColumnChange, Rule, RuleContext, RuleHit, StatementTrace } from '../types.js';
import { alterCommands, columnDefinitions, createdEarlier, impactOn, observed, qualified, relationOf, targetName } from './statement-facts.js';

/** Column changes that scan or rewrite an existing table, or fail on one that has rows. */
export const columnRules: Rule[] = [
  {
    code: 'PM401',
    name: 'set-not-null',
    family: 'columns',
    level: 'medium',
    finds: 'ALTER COLUMN … SET NOT NULL on an existing column, with no valid CHECK (col IS NOT NULL) to prove it.',
    why: 'PostgreSQL scans every row to check it while holding ACCESS EXCLUSIVE: no reads, no writes, for as long as the scan takes.',
    safer:
      'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID; backfill; VALIDATE CONSTRAINT in a later transaction (reads and writes go on); then SET NOT NULL, which PostgreSQL 12+ proves from the constraint without scanning (and drop the CHECK).',
    anchors: ['Eugene E2', 'Squawk adding-not-nullable-field'],
    check({ trace, statement }) {
      if (!observed(statement)) {
        return parsedCommands(trace, statement, 'AT_SetNotNull', (c) => `sets ${c.name ?? 'a column'} NOT NULL: every row is checked under the lock`, 'validation scan');
      }
      return changesOf(statement, 'not-null-set')
        .filter((c) => c.scan)
        .map((c) => ({
          message: `sets ${qualified(c.at.table)}.${c.at.column} NOT NULL: every row is checked under the lock`,
          relation: relationOf(c.at.table),
          basis: 'observed' as const,
          impact: impactOn(statement, c.at.table, 'validation scan'),
        }));
    },
  },
  {
    code: 'PM402',
    name: 'column-type-change',
    family: 'columns',
    level: 'medium',
    finds: 'ALTER COLUMN … TYPE on an existing column that rewrites the table (binary-compatible changes such as varchar(n) → text are not reported).',
    why: 'Unless the new type is binary-compatible (varchar(n) → text, a longer varchar), PostgreSQL rewrites the whole table and its indexes under ACCESS EXCLUSIVE; and clients that read the column may break on the new type.',
    safer: 'Add a column of the new type, write to both (trigger or application), backfill in batches, switch reads, then drop the old column in a later deploy.',
    anchors: ['Eugene E5', 'Squawk changing-column-type'],
    check({ trace, statement }) {
      if (!observed(statement)) {
        return parsedCommands(trace, statement, 'AT_AlterColumnType', (c) => `changes the type of ${c.name ?? 'a column'}`, 'rewrite');
      }
      // A binary-compatible change (varchar(n) → text, a longer varchar) is a catalog update: nothing to report here.
      return changesOf(statement, 'type-changed')
        .filter((c) => statement.changes.rewritten.some((r) => qualified(r.relation) === qualified(c.at.table)))
        .map((c) => ({
          message: `changes ${qualified(c.at.table)}.${c.at.column} from ${c.from} to ${c.to}, rewriting the table`,
          relation: relationOf(c.at.table),
          basis: 'observed' as const,
          impact: impactOn(statement, c.at.table, 'rewrite'),
        }));
    },
  },
  {
    code: 'PM403',
    name: 'add-column-rewrites',
    family: 'columns',
    level: 'medium',
    finds: 'ADD COLUMN that rewrites an existing table: a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp()…), serial, identity or GENERATED … STORED.',
    why: 'The new value is computed and stored for every row: a full rewrite under ACCESS EXCLUSIVE. (A constant or stable default is free since PostgreSQL 11.)',
    safer: 'Add the column without the default (or nullable), set the default for new rows with ALTER COLUMN … SET DEFAULT, backfill in batches; for a generated column, a trigger.',
    anchors: ['Eugene E11', 'Squawk adding-field-with-default', 'Squawk adding-serial-primary-key-field'],
    check({ trace, statement }) {
      if (!observed(statement)) return parsedRewritingColumns(trace, statement);
      return changesOf(statement, 'added')
        .filter((c) => statement.changes.rewritten.some((r) => qualified(r.relation) === qualified(c.at.table)))
        .map((c) => ({
          message: `adds ${qualified(c.at.table)}.${c.at.column} (${c.type}${c.identity ? ', identity' : ''}${c.generated ? ', generated' : ''}), rewriting the table to fill it`,
          relation: relationOf(c.at.table),
          basis: 'observed' as const,
          impact: impactOn(statement, c.at.table, 'rewrite'),
        }));
    },
  },
  {
    code: 'PM404',
    name: 'add-required-column',
    family: 'columns',
    level: 'medium',
    finds: 'ADD COLUMN … NOT NULL without a DEFAULT on an existing table.',
    why: 'It fails outright on a table that has rows (the new column would be NULL in each), and the version of the application still running during the deploy, which does not know the column, can no longer INSERT.',
    safer: 'Add the column nullable; deploy code that writes it; backfill; then make it NOT NULL (see PM401) — or add it with a constant DEFAULT, which is instant since PostgreSQL 11.',
    anchors: ['Squawk adding-required-field'],
    check({ trace, statement }) {
      if (!observed(statement)) return parsedRequiredColumns(trace, statement);
      return changesOf(statement, 'added')
        .filter((c) => c.notNull && !c.hasDefault && !c.identity && !c.generated)
        .map((c) => ({
          message: `adds ${qualified(c.at.table)}.${c.at.column} NOT NULL without a default: it fails if the table has any row, and inserts from the running application fail`,
          relation: relationOf(c.at.table),
          basis: 'observed' as const,
          impact: { ...impactOn(statement, c.at.table), failsWithRows: true },
        }));
    },
  },
  {
    code: 'PM405',
    name: 'drop-not-null',
    family: 'columns',
    level: 'low',
    finds: 'ALTER COLUMN … DROP NOT NULL on an existing column.',
    why: 'Code that relied on the column never being NULL (the running application, reports, functions) may break on the first NULL.',
    safer: 'Keep the constraint and use a marker value; or make sure every reader handles NULL before the deploy.',
    anchors: ['Squawk ban-drop-not-null'],
    check({ trace, statement }) {
      if (!observed(statement)) return parsedCommands(trace, statement, 'AT_DropNotNull', (c) => `drops NOT NULL from ${c.name ?? 'a column'}`);
      return changesOf(statement, 'not-null-dropped').map((c) => ({
        message: `drops NOT NULL from ${qualified(c.at.table)}.${c.at.column}`,
        relation: relationOf(c.at.table),
        basis: 'observed' as const,
      }));
    },
  },
  {
    code: 'PM406',
    name: 'json-column',
    family: 'columns',
    level: 'low',
    finds: 'A column of type json (not jsonb).',
    why: 'json has no equality operator: SELECT DISTINCT, GROUP BY, UNION and comparisons on the table break; it is also stored as text and re-parsed on every access.',
    safer: 'jsonb: the same documents, with equality, GIN indexing and no re-parsing on every read.',
    anchors: ['Eugene E3'],
    check({ statement }) {
      return columnDefinitions(statement.shape)
        .filter((c) => c.type === 'json')
        .map((c) => ({
          message: `adds column ${c.name} of type json to ${targetName(statement.shape) ?? 'a table'}`,
          basis: 'parsed' as const,
        }));
    },
  },
];

function changesOf<K extends ColumnChange['kind']>(statement: StatementTrace, kind: K): Array<Extract<ColumnChange, { kind: K }>> {
  return (statement.changes?.columns ?? []).filter((c): c is Extract<ColumnChange, { kind: K }> => c.kind === kind);
}

/** ALTER TABLE sub-commands of `subtype` on a table the migration did not create. */
function parsedCommands(trace: RuleContext['trace'], statement: StatementTrace, subtype: string, message: (c: { name?: string }) => string, work?: 'rewrite' | 'validation scan'): RuleHit[] {
  const table = targetName(statement.shape);
  if (!table || createdEarlier(trace, statement.index).has(table)) return [];
  return alterCommands(statement.shape)
    .filter((c) => c.subtype === subtype)
    .map((c) => ({
      message: `${message(c)} on ${table}`,
      basis: 'parsed' as const,
      impact: { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock' as const, ...(work ? { work } : {}) },
    }));
}

const REWRITING_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
const VOLATILE_FUNCTIONS = new Set(['random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

function parsedRewritingColumns(trace: RuleContext['trace'], statement: StatementTrace): RuleHit[] {
  const table = targetName(statement.shape);
  if (statement.shape.type !== 'AlterTableStmt' || !table || createdEarlier(trace, statement.index).has(table)) return [];
  return columnDefinitions(statement.shape)
    .filter(
      (c) =>
        REWRITING_TYPES.has(c.type) ||
        c.constraints.some((k) => k === 'CONSTR_GENERATED' || k === 'CONSTR_IDENTITY') ||
        (c.defaultExpression !== undefined && callsVolatile(c.defaultExpression)),
    )
    .map((c) => ({
      message: `adds ${c.name} to ${table} with a value computed per row: the table is rewritten`,
      basis: 'parsed' as const,
      impact: { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock' as const, work: 'rewrite' as const },
    }));
}

function callsVolatile(expression: Record<string, unknown>): boolean {
  const json = JSON.stringify(expression);
  return [...json.matchAll(/"funcname":\[(?:\{"String":\{"sval":"[^"]*"\}\},)*\{"String":\{"sval":"([^"]+)"\}\}\]/g)].some((m) => VOLATILE_FUNCTIONS.has(m[1]!));
}

function parsedRequiredColumns(trace: RuleContext['trace'], statement: StatementTrace): RuleHit[] {
  const table = targetName(statement.shape);
  if (statement.shape.type !== 'AlterTableStmt' || !table || createdEarlier(trace, statement.index).has(table)) return [];
  return columnDefinitions(statement.shape)
    .filter(
      (c) =>
        c.constraints.includes('CONSTR_NOTNULL') &&
        !c.constraints.includes('CONSTR_DEFAULT') &&
        !c.constraints.includes('CONSTR_IDENTITY') &&
        !c.constraints.includes('CONSTR_GENERATED') &&
        !REWRITING_TYPES.has(c.type),
    )
    .map((c) => ({
      message: `adds ${c.name} NOT NULL without a default to ${table}`,
      basis: 'parsed' as const,
      impact: { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock' as const, failsWithRows: true },
    }));
}
