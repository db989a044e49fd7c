import { listNames } from '../documented-locks.js';
import { textOf } from '../text-of.js';
import type { Rule, RuleHit, StatementTrace } from '../types.js';
import { alterCommands, observed, qualified, relationOf, targetName } from './statement-facts.js';
import { narrowing } from './type-narrowing.js';

/** Changes that destroy data or objects the running application may still use. */
export const destructiveRules: Rule[] = [
  {
    code: 'PM501',
    name: 'drop-table',
    family: 'destructive',
    level: 'high',
    finds: 'A table that existed before the migration is dropped (DROP TABLE, or a CASCADE that takes it along).',
    why: 'Its rows are gone (a down migration cannot bring them back), and the version of the application still running during the deploy fails on every query that uses it.',
    safer: 'Stop reading and writing the table in one deploy; drop it in a later one, after a backup (or rename it aside first and drop it once nothing missed it).',
    anchors: ['Squawk ban-drop-table'],
    check({ statement }) {
      if (!observed(statement)) return parsedDrops(statement, 'OBJECT_TABLE', 'drops table');
      return statement.changes.dropped
        .filter((r) => r.kind === 'table' || r.kind === 'partitioned table' || r.kind === 'materialized view')
        .map((r) => ({
          message: `drops ${r.kind} ${qualified(r)} and every row in it`,
          relation: relationOf(r),
          basis: 'observed' as const,
        }));
    },
  },
  {
    code: 'PM502',
    name: 'drop-column',
    family: 'destructive',
    level: 'high',
    finds: 'A column of an existing table is dropped.',
    why: 'Its values are gone, and the application still running during the deploy fails on every query that names the column (SELECT lists, INSERTs).',
    safer: 'Stop using the column in one deploy (make it nullable if the code no longer writes it); drop it in a later deploy.',
    anchors: ['Squawk ban-drop-column'],
    check({ statement }) {
      if (!observed(statement)) {
        const table = targetName(statement.shape) ?? 'a table';
        return alterCommands(statement.shape)
          .filter((c) => c.subtype === 'AT_DropColumn')
          .map((c) => ({ message: `drops column ${table}.${c.name ?? '?'}`, basis: 'parsed' as const }));
      }
      return statement.changes.columns.flatMap((c) =>
        c.kind === 'dropped'
          ? [
              {
                message: `drops column ${qualified(c.at.table)}.${c.at.column} (${c.type}) and its values`,
                relation: relationOf(c.at.table),
                basis: 'observed' as const,
              },
            ]
          : [],
      );
    },
  },
  {
    code: 'PM503',
    name: 'drop-type',
    family: 'destructive',
    level: 'medium',
    finds: 'An enum, domain, range or composite type that existed before the migration is dropped.',
    why: 'Columns and functions that use it break (with CASCADE, the columns are dropped with their values).',
    safer: 'Move every column off the type first, in an earlier deploy; then drop it.',
    anchors: ['Squawk ban-drop-table (types)'],
    check({ statement }) {
      if (!observed(statement)) return [...parsedDrops(statement, 'OBJECT_TYPE', 'drops type'), ...parsedDrops(statement, 'OBJECT_DOMAIN', 'drops domain')];
      return statement.changes.droppedTypes.map((t) => ({ message: `drops ${t.kind} type ${t.schema}.${t.name}`, basis: 'observed' as const }));
    },
  },
  {
    code: 'PM504',
    name: 'drop-schema',
    family: 'destructive',
    level: 'high',
    finds: 'A schema that existed before the migration is dropped.',
    why: 'Everything in it is dropped with it (CASCADE), data included.',
    safer: 'Drop the objects one by one, each after the application stopped using it, then the empty schema.',
    anchors: ['Squawk ban-drop-database (schemas)'],
    check({ statement }) {
      if (!observed(statement)) return parsedDrops(statement, 'OBJECT_SCHEMA', 'drops schema');
      return statement.changes.droppedSchemas.map((name) => ({ message: `drops schema ${name} and everything in it`, basis: 'observed' as const }));
    },
  },
  {
    code: 'PM505',
    name: 'drop-database',
    family: 'destructive',
    level: 'critical',
    finds: 'DROP DATABASE.',
    why: 'A migration has no business dropping a database: everything in it is gone.',
    safer: 'Do it by hand, deliberately, outside migrations.',
    anchors: ['Squawk ban-drop-database'],
    check({ statement }) {
      return statement.shape.type === 'DropdbStmt' ? [{ message: `drops database ${textOf(statement.shape.node.dbname)}`, basis: 'parsed' }] : [];
    },
  },
  {
    code: 'PM506',
    name: 'truncate',
    family: 'destructive',
    level: 'high',
    finds: 'TRUNCATE of an existing table (with CASCADE: of every table whose foreign keys reach it).',
    why: 'Every row is gone, instantly, under ACCESS EXCLUSIVE; CASCADE empties tables the statement does not even name.',
    safer: 'DELETE … WHERE for the rows meant, in batches; never CASCADE in a migration.',
    anchors: ['Squawk ban-truncate-cascade'],
    check({ statement }) {
      if (statement.shape.type !== 'TruncateStmt') return [];
      const cascade = statement.shape.node.behavior === 'DROP_CASCADE';
      if (!observed(statement)) return [{ message: `truncates ${cascade ? 'with CASCADE ' : ''}${truncated(statement)}`, basis: 'parsed' }];
      return statement.changes.rewritten
        .filter((r) => r.relation.kind !== 'index')
        .map((r) => ({
          message: `empties ${qualified(r.relation)}${cascade ? ' (TRUNCATE … CASCADE)' : ''}`,
          relation: relationOf(r.relation),
          basis: 'observed' as const,
        }));
    },
  },
  {
    code: 'PM507',
    name: 'update-or-delete-without-where',
    family: 'destructive',
    level: 'medium',
    finds: 'UPDATE or DELETE without a WHERE clause.',
    why: 'It changes every row of the table in one transaction: each row stays locked (writes to it wait) until the migration commits, the table bloats, and one mistake touches everything.',
    safer: 'Backfill in batches (WHERE id BETWEEN … or a LIMITed loop), each batch its own transaction, outside the schema migration when the table is large.',
    anchors: ['polymigrate'],
    check({ statement }) {
      const { type, node } = statement.shape;
      if ((type !== 'UpdateStmt' && type !== 'DeleteStmt') || node.whereClause) return [];
      const lock = statement.locks.find((l) => l.mode === 'RowExclusiveLock' && l.relation.kind !== 'index');
      const name = lock ? qualified(lock.relation) : (targetName(statement.shape) ?? 'a table');
      const verb = type === 'UpdateStmt' ? 'updates' : 'deletes';
      return [
        {
          message: `${verb} every row of ${name}${statement.rowCount !== undefined ? ` (${statement.rowCount} in the scratch database)` : ''}`,
          basis: lock ? 'observed' : 'parsed',
          ...(lock ? { relation: relationOf(lock.relation) } : {}),
          impact: { blocks: { reads: false, writes: true }, mode: 'RowExclusiveLock', work: type === 'UpdateStmt' ? 'update of every row' : 'delete of every row' },
        },
      ];
    },
  },
  {
    code: 'PM508',
    name: 'narrowing-type',
    family: 'destructive',
    level: 'high',
    finds: 'A column type change that narrows the type: a shorter varchar, a smaller integer, fewer numeric digits, timestamp → date.',
    why: 'Values that do not fit make the migration fail on the live data (which the shadow does not have), or are silently rounded or cut.',
    safer: 'Check the live data first (SELECT max(length(col))…); prefer a CHECK constraint (NOT VALID, then VALIDATE) to a narrower type.',
    anchors: ['polymigrate'],
    check({ statement }) {
      return (statement.changes?.columns ?? []).flatMap((c) => {
        const how = c.kind === 'type-changed' ? narrowing(c.from, c.to) : undefined;
        return how && c.kind === 'type-changed'
          ? [{ message: `narrows ${qualified(c.at.table)}.${c.at.column} from ${c.from} to ${c.to}: ${how}`, relation: relationOf(c.at.table), basis: 'observed' as const }]
          : [];
      });
    },
  },
];

function parsedDrops(statement: StatementTrace, removeType: string, verb: string): RuleHit[] {
  if (statement.shape.type !== 'DropStmt' || statement.shape.node.removeType !== removeType) return [];
  return listNames(statement.shape.node.objects)
    .map((n) => n.replace(/"/g, ''))
    .map((name) => ({ message: `${verb} ${name}`, basis: 'parsed' as const }));
}

function truncated(statement: StatementTrace): string {
  const relations = (statement.shape.node.relations ?? []) as Array<{ RangeVar?: { schemaname?: string; relname?: string } }>;
  return relations.map((r) => [r.RangeVar?.schemaname, r.RangeVar?.relname].filter(Boolean).join('.')).join(', ');
}
