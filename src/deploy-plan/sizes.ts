import type { Queryable } from '../adapter/contract.js';
import { textOf } from './text-of.js';
import { RELATION_KINDS } from './catalog-observation.js';
import { isLockMode } from './lock-modes.js';
import type { LiveSnapshot, MigrationTrace, OpenTransaction, RelationSize } from './types.js';

/**
 * What the LIVE database says about the relations a deploy touches — read from its catalog and
 * statistics only, never from the tables themselves (no count(*), no scan): two queries whatever
 * the number of relations, so `plan` costs the production server next to nothing.
 *
 * 1. Sizes: pg_class.reltuples (the planner's estimate, kept by ANALYZE and autovacuum; when the
 *    table was never analyzed, pg_stat_user_tables.n_live_tup), pg_relation_size,
 *    pg_indexes_size, pg_total_relation_size (TOAST included); a partitioned table sums its leaves.
 * 2. Open transactions: every session of this database in a transaction right now, with the
 *    locks it holds or waits for on those relations (pg_stat_activity + pg_locks). A DDL lock
 *    queues behind them; CREATE INDEX CONCURRENTLY waits for every one of them.
 */
export async function readLiveSnapshot(live: Queryable, relations: ReadonlyArray<{ schema: string; name: string }>): Promise<LiveSnapshot> {
  const started = performance.now();
  const unique = [...new Map(relations.map((r) => [`${r.schema}.${r.name}`, r])).values()];
  const schemas = unique.map((r) => r.schema);
  const names = unique.map((r) => r.name);
  const sizes = await live.query(SIZES, [schemas, names]);
  const open = await live.query(OPEN_TRANSACTIONS, [schemas, names]);
  return {
    relations: sizes.rows.map(toSize),
    openTransactions: open.rows.map(toOpenTransaction),
    queries: 2,
    readMs: performance.now() - started,
  };
}

/** Every pre-existing relation the traces saw a statement lock, rewrite or change: what to size. */
export function touchedRelations(traces: readonly MigrationTrace[]): Array<{ schema: string; name: string }> {
  const seen = new Map<string, { schema: string; name: string }>();
  const add = (r: { schema: string; name: string }) => seen.set(`${r.schema}.${r.name}`, { schema: r.schema, name: r.name });
  for (const statement of traces.flatMap((t) => t.statements)) {
    statement.locks.forEach((l) => add(l.relation));
    statement.changes?.rewritten.forEach((r) => add(r.relation));
    statement.changes?.newIndexes.forEach((i) => add(i.table));
    statement.changes?.dropped.forEach(add);
  }
  return [...seen.values()];
}

const SIZES = `
  SELECT r.schema, r.name, c.oid IS NOT NULL AS exists, c.relkind,
         CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(p.reltuples, 0))::float8 FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf)
              -- reltuples is -1 (PostgreSQL 14+) or 0 with no pages (before) until the first ANALYZE.
              WHEN c.reltuples > 0 OR (c.reltuples = 0 AND c.relpages > 0) OR s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL THEN greatest(c.reltuples, 0)::float8
              ELSE s.n_live_tup::float8 END AS rows,
         CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_relation_size(t.relid))::float8 FROM pg_partition_tree(c.oid) t) ELSE pg_relation_size(c.oid)::float8 END AS table_bytes,
         CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_indexes_size(t.relid))::float8 FROM pg_partition_tree(c.oid) t)
              WHEN c.relkind IN ('r', 'm') THEN pg_indexes_size(c.oid)::float8 END AS index_bytes,
         CASE WHEN c.relkind = 'p' THEN (SELECT sum(pg_total_relation_size(t.relid))::float8 FROM pg_partition_tree(c.oid) t) ELSE pg_total_relation_size(c.oid)::float8 END AS total_bytes
    FROM unnest($1::text[], $2::text[]) AS r(schema, name)
    LEFT JOIN pg_namespace n ON n.nspname = r.schema
    LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.name
    LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid`;

// Sessions of other roles show no xact_start without pg_read_all_stats: they are listed only when
// they hold a lock on a touched relation (pg_locks hides nothing). Autovacuum is left out: it
// cancels itself when DDL waits for its lock (unless it prevents wraparound).
const OPEN_TRANSACTIONS = `
  WITH touched AS (
    SELECT c.oid, r.schema, r.name FROM unnest($1::text[], $2::text[]) AS r(schema, name)
      JOIN pg_namespace n ON n.nspname = r.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.name
  ), held AS (
    SELECT l.pid, t.schema, t.name, l.mode, l.granted FROM pg_locks l JOIN touched t ON t.oid = l.relation
     WHERE l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  )
  SELECT a.pid, (pg_has_role(a.usesysid, 'USAGE') OR pg_has_role('pg_read_all_stats', 'USAGE')) AS visible,
         a.application_name, a.state, extract(epoch FROM now() - a.xact_start)::float8 AS seconds,
         coalesce(json_agg(json_build_object('schema', h.schema, 'name', h.name, 'mode', h.mode, 'granted', h.granted)) FILTER (WHERE h.pid IS NOT NULL), '[]') AS locks
    FROM pg_stat_activity a LEFT JOIN held h ON h.pid = a.pid
   WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() AND a.backend_type = 'client backend'
     AND (a.xact_start IS NOT NULL OR h.pid IS NOT NULL)
   GROUP BY a.pid, a.usesysid, a.application_name, a.state, a.xact_start
   ORDER BY a.xact_start NULLS LAST`;

function toSize(row: Record<string, unknown>): RelationSize {
  const base = { schema: String(row.schema), name: String(row.name) };
  if (!row.exists) return { ...base, exists: false };
  const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
  const rows = number(row.rows);
  const tableBytes = number(row.table_bytes);
  const indexBytes = number(row.index_bytes);
  const totalBytes = number(row.total_bytes);
  return {
    ...base,
    exists: true,
    kind: RELATION_KINDS[String(row.relkind)] ?? 'table',
    ...(rows !== undefined ? { rows } : {}),
    ...(tableBytes !== undefined ? { tableBytes } : {}),
    ...(indexBytes !== undefined ? { indexBytes } : {}),
    ...(totalBytes !== undefined ? { totalBytes } : {}),
  };
}

function toOpenTransaction(row: Record<string, unknown>): OpenTransaction {
  const locks = (row.locks as Array<{ schema: string; name: string; mode: string; granted: boolean }>).flatMap((l) =>
    isLockMode(l.mode) ? [{ relation: { schema: l.schema, name: l.name }, mode: l.mode, granted: l.granted }] : [],
  );
  return {
    pid: Number(row.pid),
    visible: Boolean(row.visible),
    ...(row.visible && row.application_name ? { applicationName: textOf(row.application_name) } : {}),
    ...(row.visible && row.state ? { state: textOf(row.state) } : {}),
    ...(row.seconds !== null && row.seconds !== undefined ? { transactionSeconds: Number(row.seconds) } : {}),
    locks,
  };
}
