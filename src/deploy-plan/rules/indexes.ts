import { hasOption, listNames } from '../documented-locks.js';
import { blocksOf, strongest } from '../lock-modes.js';
import type { Rule } from '../types.js';
import { createdEarlier, impactOn, observed, qualified, relationOf, strongestTableLocks, targetName } from './statement-facts.js';

/** Index builds and drops that lock out writes (or everything) while they run. */
export const indexRules: Rule[] = [
  {
    code: 'PM101',
    name: 'index-without-concurrently',
    family: 'indexes',
    level: 'medium',
    finds: 'CREATE INDEX without CONCURRENTLY on a table that already exists.',
    why: 'The build holds a SHARE lock on the table: every INSERT, UPDATE and DELETE waits until the whole index is built, which takes as long as reading the table.',
    safer: 'CREATE INDEX CONCURRENTLY, in a migration that runs outside a transaction (polymigrate runs such files statement by statement).',
    anchors: ['Eugene E6', 'Squawk require-concurrent-index-creation'],
    check({ trace, statement }) {
      if (statement.shape.type !== 'IndexStmt' || statement.shape.node.concurrent) return [];
      if (observed(statement)) {
        return statement.changes.newIndexes.map((index) => ({
          message: `builds index ${qualified(index.index)} on ${qualified(index.table)} without CONCURRENTLY`,
          relation: relationOf(index.table),
          basis: 'observed',
          impact: impactOn(statement, index.table, 'index build', 'ShareLock'),
        }));
      }
      const table = targetName(statement.shape);
      if (!table || createdEarlier(trace, statement.index).has(table)) return [];
      return [{ message: `builds an index on ${table} without CONCURRENTLY`, basis: 'parsed', impact: { blocks: blocksOf('ShareLock'), mode: 'ShareLock', work: 'index build' } }];
    },
  },
  {
    code: 'PM102',
    name: 'drop-index-without-concurrently',
    family: 'indexes',
    level: 'medium',
    finds: 'DROP INDEX without CONCURRENTLY on an index that already exists.',
    why: "It takes an ACCESS EXCLUSIVE lock on the index's table: it waits for every running query on the table, and every read and write queues behind it meanwhile.",
    safer: 'DROP INDEX CONCURRENTLY, in a migration that runs outside a transaction.',
    anchors: ['Squawk require-concurrent-index-deletion'],
    check({ statement }) {
      if (statement.shape.type !== 'DropStmt' || statement.shape.node.removeType !== 'OBJECT_INDEX' || statement.shape.node.concurrent) return [];
      if (!observed(statement)) {
        return listNames(statement.shape.node.objects).map((name) => ({ message: `drops index ${name.replace(/"/g, '')} without CONCURRENTLY`, basis: 'parsed' as const }));
      }
      const tableLock = strongest(statement.locks.filter((l) => l.relation.kind !== 'index'));
      return statement.changes.dropped
        .filter((r) => r.kind === 'index')
        .map((index) => ({
          message: `drops index ${qualified(index)} without CONCURRENTLY${tableLock ? ` (${tableLock.mode.replace(/Lock$/, '')} on ${qualified(tableLock.relation)})` : ''}`,
          relation: tableLock ? relationOf(tableLock.relation) : relationOf(index),
          basis: 'observed',
          impact: tableLock ? { blocks: tableLock.blocks, mode: tableLock.mode } : { blocks: blocksOf('AccessExclusiveLock'), mode: 'AccessExclusiveLock' },
        }));
    },
  },
  {
    code: 'PM103',
    name: 'reindex-without-concurrently',
    family: 'indexes',
    level: 'medium',
    finds: 'REINDEX without CONCURRENTLY.',
    why: 'It locks out writes to the table and reads that would use the index until every index named is rebuilt.',
    safer: 'REINDEX … CONCURRENTLY, in a migration that runs outside a transaction.',
    anchors: ['Squawk require-concurrent-reindex'],
    check({ statement }) {
      if (statement.shape.type !== 'ReindexStmt' || hasOption(statement.shape.node.params, 'concurrently')) return [];
      const tables = strongestTableLocks(statement);
      if (tables.length === 0) return [{ message: `rebuilds ${targetName(statement.shape) ?? 'indexes'} without CONCURRENTLY`, basis: observed(statement) ? 'observed' : 'parsed' }];
      return tables.map((lock) => ({
        message: `rebuilds indexes of ${qualified(lock.relation)} without CONCURRENTLY`,
        relation: relationOf(lock.relation),
        basis: 'observed',
        impact: { blocks: lock.blocks, mode: lock.mode, work: 'index build' },
      }));
    },
  },
  {
    code: 'PM104',
    name: 'concurrently-in-transaction',
    family: 'indexes',
    level: 'high',
    finds: 'A statement PostgreSQL refuses inside a transaction block (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM…) in a migration that runs in one.',
    why: 'PostgreSQL raises "cannot run inside a transaction block": the migration fails at that statement.',
    safer:
      'Put the statement in a migration of its own that runs outside a transaction (for an SQL folder, a file polymigrate runs statement by statement; Drizzle and Payload run every migration in a transaction).',
    anchors: ['Squawk ban-concurrent-index-creation-in-transaction'],
    check({ trace, statement }) {
      const label = statement.shape.outsideTransaction;
      const inBlock = statement.ranIn === 'rolled-back transaction' || statement.ranIn === 'committed transaction' || (statement.ranIn === undefined && trace.transactional);
      if (!label || !inBlock || statement.outcome === 'control') return [];
      const seen = statement.error?.code === '25001';
      return [{ message: `${label} inside a transaction block: the migration fails here${seen ? ` (${statement.error!.message})` : ''}`, basis: seen ? 'observed' : 'parsed' }];
    },
  },
];
