import { blocksOf, blockedTraffic, blocksTraffic, modeLabel, strongest } from '../lock-modes.js';
import type { HeldLock, Rule, RuleHit, StatementTrace } from '../types.js';
import { alterCommands, createdEarlier, impactOn, observed, qualified, relationOf, targetName } from './statement-facts.js';

/** Locks that stop traffic: taken without a timeout, held across statements, held for a rewrite. */
export const lockRules: Rule[] = [
  {
    code: 'PM301',
    name: 'lock-without-timeout',
    family: 'locks',
    level: 'medium',
    finds: 'A lock that blocks reads or writes taken on an existing table while lock_timeout is 0 (unset).',
    why: 'If any transaction holds a conflicting lock (a long query, a session idle in transaction), the statement waits for it indefinitely — and every read and write of the table queues behind the waiting statement: an outage that lasts as long as the oldest transaction.',
    safer: "SET lock_timeout (e.g. '2s') before the statement (polymigrate: --ddl-lock-timeout 2 --ddl-retries 5 sets it per migration and retries the migration when it times out).",
    anchors: ['Eugene E9', 'Squawk require-lock-timeout'],
    check({ trace, statement }) {
      if (statement.lockTimeoutMs === undefined) return parsedWithoutTimeout(trace.statements, statement);
      if (statement.lockTimeoutMs > 0) return [];
      const lock = strongest(statement.locks.filter((l) => blocksTraffic(l.mode)));
      if (!lock) return [];
      return [
        {
          message: `takes ${modeLabel(lock.mode)} on ${qualified(lock.relation)} with no lock_timeout: while it waits for the lock, ${blockedTraffic(lock.blocks)} of ${qualified(lock.relation)} queues behind it`,
          relation: relationOf(lock.relation),
          basis: 'observed',
          impact: { blocks: lock.blocks, mode: lock.mode },
        },
      ];
    },
  },
  {
    code: 'PM302',
    name: 'lock-held-across-statements',
    family: 'locks',
    level: 'medium',
    finds: 'A lock that blocks reads or writes, taken by one statement and still held while later statements of the same transaction run.',
    why: 'A lock lasts until its transaction ends: the table stays blocked for everything the later statements do, not just for the statement that needed the lock.',
    safer: 'Take the strong lock last, or split the migration so that each transaction holding such a lock does one short thing (for an SQL folder, one migration per step).',
    anchors: ['Eugene E4'],
    check({ trace, statement }) {
      if (!observed(statement)) return [];
      const later = heldLater(trace.statements, statement.index);
      const byRelation = new Map<string, { lock: HeldLock; statements: number[] }>();
      for (const { lock, by } of later) {
        const key = qualified(lock.relation);
        const entry = byRelation.get(key);
        if (!entry) byRelation.set(key, { lock, statements: [by] });
        else {
          if (!entry.statements.includes(by)) entry.statements.push(by);
          entry.lock = strongest([entry.lock, lock])!;
        }
      }
      return [...byRelation.values()].map(({ lock, statements }) => ({
        message: `holds ${modeLabel(lock.mode)} on ${qualified(lock.relation)} (${blockedTraffic(lock.blocks)} waits) while statement${statements.length > 1 ? 's' : ''} ${range(statements)} run${statements.length > 1 ? '' : 's'}, until the transaction ends`,
        relation: relationOf(lock.relation),
        basis: 'observed' as const,
        impact: { blocks: lock.blocks, mode: lock.mode },
      }));
    },
  },
  {
    code: 'PM303',
    name: 'table-rewrite',
    family: 'locks',
    level: 'medium',
    finds:
      'A statement that rewrites an existing table (its relfilenode changes: VACUUM FULL, CLUSTER, SET TABLESPACE, SET LOGGED/UNLOGGED, ALTER TABLE forms that rebuild it) — type changes and added columns have rules of their own.',
    why: 'Every row is copied and every index rebuilt while ACCESS EXCLUSIVE is held: no reads, no writes, for a time that grows with the table.',
    safer:
      'Avoid rewriting large tables in a deploy: build a new table (or column) beside the old one, copy in batches, then swap; pg_repack (or REPACK CONCURRENTLY from PostgreSQL 19) instead of VACUUM FULL / CLUSTER.',
    anchors: ['Eugene E10', 'Squawk prefer-repack'],
    check({ statement }) {
      if (hasOwnRule(statement)) return [];
      if (!observed(statement)) return parsedRewrite(statement);
      return statement.changes.rewritten
        .filter((r) => r.relation.kind !== 'index')
        .map((r) => ({
          message: `rewrites ${qualified(r.relation)}`,
          relation: relationOf(r.relation),
          basis: 'observed' as const,
          impact: impactOn(statement, r.relation, 'rewrite', 'AccessExclusiveLock'),
        }));
    },
  },
  {
    code: 'PM304',
    name: 'detach-partition-without-concurrently',
    family: 'locks',
    level: 'medium',
    finds: 'ALTER TABLE … DETACH PARTITION without CONCURRENTLY.',
    why: 'It takes ACCESS EXCLUSIVE on the partitioned table: no reads or writes of any partition until it can get the lock and finish.',
    safer: 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY, in a migration that runs outside a transaction.',
    anchors: ['Squawk require-concurrent-partition-detach'],
    check({ statement }) {
      const detach = alterCommands(statement.shape).find((c) => c.subtype === 'AT_DetachPartition' && !(c.def?.PartitionCmd as { concurrent?: boolean } | undefined)?.concurrent);
      if (!detach) return [];
      const lock = strongest(statement.locks);
      return [
        {
          message: `detaches a partition from ${targetName(statement.shape) ?? 'a table'} without CONCURRENTLY`,
          basis: observed(statement) ? 'observed' : 'parsed',
          ...(lock
            ? { relation: relationOf(lock.relation), impact: { blocks: lock.blocks, mode: lock.mode } }
            : { impact: { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock' as const } }),
        },
      ];
    },
  },
  {
    code: 'PM305',
    name: 'repeated-alter-table',
    family: 'locks',
    level: 'info',
    finds: 'Several ALTER TABLE statements on the same existing table in one migration.',
    why: "Each one takes the table's lock again and, where it must, scans or rewrites it again: one ALTER TABLE with several actions does it once.",
    safer: 'One ALTER TABLE with the actions separated by commas.',
    anchors: ['Eugene W12'],
    check({ trace, statement }) {
      const table = statement.shape.type === 'AlterTableStmt' ? targetName(statement.shape) : undefined;
      if (!table || createdEarlier(trace, statement.index).has(table)) return [];
      const earlier = trace.statements.slice(0, statement.index).find((s) => s.shape.type === 'AlterTableStmt' && targetName(s.shape) === table);
      return earlier ? [{ message: `alters ${table} again (statement ${earlier.index + 1} already did)`, basis: 'parsed' }] : [];
    },
  },
];

/** Table locks of `index` still held while later statements of its transaction ran (cheap ones like SET left out). */
function heldLater(statements: StatementTrace[], index: number): Array<{ lock: HeldLock; by: number }> {
  const out: Array<{ lock: HeldLock; by: number }> = [];
  for (const later of statements.slice(index + 1)) {
    if (later.outcome !== 'ran' && later.outcome !== 'failed') continue;
    if (['VariableSetStmt', 'VariableShowStmt', 'TransactionStmt'].includes(later.shape.type)) continue;
    // An index's lock comes with its table's: the table is the one to name.
    for (const lock of later.holding) {
      if (lock.takenBy === index && blocksTraffic(lock.mode) && !lock.relation.kind.includes('index')) out.push({ lock, by: later.index + 1 });
    }
  }
  return out;
}

function range(numbers: number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.length > 1 && sorted.at(-1)! - sorted[0]! === sorted.length - 1 ? `${sorted[0]}–${sorted.at(-1)}` : sorted.join(', ');
}

/** Statements whose rewrite another rule reports more precisely. */
function hasOwnRule(statement: StatementTrace): boolean {
  if (['TruncateStmt', 'ReindexStmt'].includes(statement.shape.type)) return true;
  return alterCommands(statement.shape).some((c) => c.subtype === 'AT_AlterColumnType' || c.subtype === 'AT_AddColumn');
}

function parsedRewrite(statement: StatementTrace): RuleHit[] {
  const { type, node } = statement.shape;
  const rewrites =
    type === 'ClusterStmt' ||
    (type === 'VacuumStmt' && ((node.options ?? []) as Array<{ DefElem?: { defname?: string } }>).some((o) => o.DefElem?.defname === 'full')) ||
    alterCommands(statement.shape).some((c) => ['AT_SetTableSpace', 'AT_SetLogged', 'AT_SetUnLogged'].includes(c.subtype));
  return rewrites
    ? [
        {
          message: `rewrites ${targetName(statement.shape) ?? 'a table'}`,
          basis: 'parsed',
          impact: { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock', work: 'rewrite' },
        },
      ]
    : [];
}

const DDL = new Set(['AlterTableStmt', 'IndexStmt', 'DropStmt', 'RenameStmt', 'TruncateStmt', 'CreateTrigStmt', 'ClusterStmt', 'ReindexStmt']);

/** The SQL-text reading: DDL on a table with no `SET lock_timeout` before it in the migration. */
function parsedWithoutTimeout(statements: StatementTrace[], statement: StatementTrace): RuleHit[] {
  if (!DDL.has(statement.shape.type) || (statement.shape.type === 'IndexStmt' && statement.shape.node.concurrent)) return [];
  const timeoutSet = statements.slice(0, statement.index).some((s) => s.shape.type === 'VariableSetStmt' && s.shape.node.name === 'lock_timeout');
  return timeoutSet ? [] : [{ message: `runs ${statement.shape.type.replace(/Stmt$/, '')} with no lock_timeout set before it`, basis: 'parsed' }];
}
