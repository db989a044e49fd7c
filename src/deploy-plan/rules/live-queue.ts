import { blockedTraffic, blocksTraffic, conflicts, modeLabel } from '../lock-modes.js';
import { formatSeconds } from '../plan-format.js';
import type { Finding, LiveSnapshot, MigrationTrace, OpenTransaction, RuleMeta, StatementTrace } from '../types.js';
import { qualified } from './statement-facts.js';

/**
 * What the live database says right now: transactions open there that hold (or wait for) a lock
 * the migration's statement conflicts with. The statement would queue behind them — and, holding
 * its place in the queue, make everyday traffic queue behind it.
 */
export const QUEUE_RULE: RuleMeta = {
  code: 'PM306',
  name: 'queued-behind-open-transaction',
  family: 'live',
  level: 'high',
  finds: 'A transaction open on the live database right now holds a lock that a statement of the migration conflicts with (for CREATE INDEX CONCURRENTLY: any open transaction).',
  why: "The statement waits for that transaction to end; while it waits, every session that needs a lock conflicting with the statement's queues behind it — with no lock_timeout, for as long as that transaction stays open.",
  safer:
    'Deploy when the transaction has ended (find it with pg_stat_activity: the pid is in the report), set a lock_timeout (--ddl-lock-timeout) so that the migration gives up and retries instead of stalling traffic, and fix what leaves transactions idle.',
  anchors: ['Eugene E9 (the danger it guards against)', 'strong_migrations lock_timeout'],
};

export function queueFindings(trace: MigrationTrace, live: LiveSnapshot): Finding[] {
  return trace.statements.flatMap((statement) => [...lockQueues(statement, live), ...concurrentWaits(statement, live)]);
}

function lockQueues(statement: StatementTrace, live: LiveSnapshot): Finding[] {
  // A session that uses an index locks its table too: report the table, and an index only when
  // the statement locks no table (one finding per relation a person knows).
  const tables = statement.locks.filter((l) => l.relation.kind !== 'index' && l.relation.kind !== 'partitioned index');
  return (tables.length > 0 ? tables : statement.locks).flatMap((lock) => {
    const blocking = (l: OpenTransaction['locks'][number]) => l.relation.schema === lock.relation.schema && l.relation.name === lock.relation.name && conflicts(lock.mode, l.mode);
    const holders = live.openTransactions.filter((t) => t.locks.some(blocking));
    if (holders.length === 0) return [];
    const oldest = oldestOf(holders);
    const held = oldest.locks.find(blocking)!;
    const noTimeout = statement.lockTimeoutMs === 0;
    const traffic = blocksTraffic(lock.mode);
    const level = traffic ? (noTimeout ? 'critical' : 'high') : 'medium';
    const after = !traffic
      ? ''
      : noTimeout
        ? `, with no lock_timeout: ${blockedTraffic(lock.blocks)} of ${qualified(lock.relation)} queues behind the migration until that transaction ends`
        : `; lock_timeout ${statement.lockTimeoutMs} ms ends the wait (and the migration), so traffic queues for at most that long`;
    return [
      finding(statement, level, {
        message: `${qualified(lock.relation)} is ${held.granted ? 'held' : 'awaited'} in ${modeLabel(held.mode)} by ${describe(oldest)}${holders.length > 1 ? ` and ${holders.length - 1} more` : ''}: the migration's ${modeLabel(lock.mode)} waits behind it${after}`,
        relation: { schema: lock.relation.schema, name: lock.relation.name },
      }),
    ];
  });
}

/** CREATE INDEX CONCURRENTLY waits for every transaction that might still see the table as it was. */
function concurrentWaits(statement: StatementTrace, live: LiveSnapshot): Finding[] {
  if (statement.shape.type !== 'IndexStmt' || !statement.shape.node.concurrent || live.openTransactions.length === 0) return [];
  const oldest = oldestOf(live.openTransactions);
  return [
    finding(statement, 'medium', {
      message: `CREATE INDEX CONCURRENTLY waits for every transaction open when it starts: ${live.openTransactions.length} open now, the oldest ${describe(oldest)}`,
    }),
  ];
}

function finding(statement: StatementTrace, level: Finding['level'], hit: { message: string; relation?: { schema: string; name: string } }): Finding {
  return {
    code: QUEUE_RULE.code,
    name: QUEUE_RULE.name,
    level,
    baseLevel: level,
    statement: statement.index,
    ...(statement.statement.file ? { file: statement.statement.file } : {}),
    ...(statement.statement.line ? { line: statement.statement.line } : {}),
    ...(hit.relation ? { relation: hit.relation } : {}),
    message: hit.message,
    safer: QUEUE_RULE.safer,
    basis: 'observed',
  };
}

function oldestOf(transactions: OpenTransaction[]): OpenTransaction {
  return [...transactions].sort((a, b) => (b.transactionSeconds ?? -1) - (a.transactionSeconds ?? -1))[0]!;
}

function describe(t: OpenTransaction): string {
  if (!t.visible) return `a session of another role (pid ${t.pid})`;
  const age = t.transactionSeconds !== undefined ? ` open for ${formatSeconds(t.transactionSeconds)}` : '';
  return `a transaction${age} (pid ${t.pid}${t.state ? `, ${t.state}` : ''}${t.applicationName ? `, ${t.applicationName}` : ''})`;
}
