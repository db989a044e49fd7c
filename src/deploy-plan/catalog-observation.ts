import type { Queryable } from '../adapter/contract.js';
import { textOf } from './text-of.js';
import { isLockMode } from './lock-modes.js';
import type { ConstraintType, ForeignKeyWithoutIndex, LockMode, RelationKind } from './types.js';

/**
 * What the trace reads back from the catalog after each statement, in ONE query, on the tracing
 * backend itself (inside the statement's transaction, so it sees what the statement did before
 * anything commits): its own granted relation locks (pg_locks), every user relation with its
 * relfilenode (a changed one is a rewrite), the columns and constraints of the tables that existed
 * before the migration, user types and schemas, and lock_timeout.
 *
 * Reading the catalog takes locks on catalog tables only, never on user relations, so an
 * observation never adds to the locks it reports.
 */

export interface ObservedRelation {
  oid: number;
  schema: string;
  name: string;
  kind: RelationKind;
  filenode: number;
  /** Indexes: the table they belong to. */
  table?: number;
  unique?: boolean;
}

export interface ObservedColumn {
  table: number;
  attnum: number;
  name: string;
  notNull: boolean;
  /** As format_type writes it, for reports (its qualification follows search_path). */
  type: string;
  /** `atttypid:atttypmod`: what a type change is detected by (the text changes with search_path or a type's rename). */
  typeId: string;
  dropped: boolean;
  hasDefault: boolean;
  identity: boolean;
  generated: boolean;
}

export interface ObservedConstraint {
  oid: number;
  table: number;
  name: string;
  type: ConstraintType;
  validated: boolean;
  definition: string;
  /** The index it uses (unique, primary key, exclusion), 0 when none. */
  index: number;
  /** Foreign keys: the referenced table. */
  references: number;
}

export interface ObservedType {
  oid: number;
  schema: string;
  name: string;
  kind: 'enum' | 'domain' | 'range' | 'composite';
}

export interface Observation {
  relations: Map<number, ObservedRelation>;
  /** Keyed `${table}:${attnum}`; only tables that existed before the migration. */
  columns: Map<string, ObservedColumn>;
  constraints: Map<number, ObservedConstraint>;
  types: Map<number, ObservedType>;
  schemas: Map<number, string>;
  /** Granted relation locks of this backend on tracked relations. */
  locks: Array<{ relation: number; mode: LockMode }>;
  lockTimeoutMs: number;
}

/** Every user relation, and the tracked ones ($1: the relations before the migration; null: all). */
const RELS_CTE = `
WITH all_rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode, i.indrelid, i.indisunique
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_index i ON i.indexrelid = c.oid
   WHERE c.relkind IN ('r','p','i','I','m','S','v','f') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
), tracked AS (
  SELECT oid FROM all_rels WHERE $1::oid[] IS NULL OR oid IN (SELECT unnest($1::oid[]))
)`;

/** The relations in \`rels\`, columns and constraints of those in \`scope\` (CTEs the query defines), and the rest whole. */
const DETAILS_SQL = `
  (SELECT coalesce(json_agg(json_build_array(oid, nspname, relname, relkind, relfilenode, indrelid, indisunique)), '[]') FROM rels) AS relations,
  (SELECT coalesce(json_agg(json_build_array(a.attrelid, a.attnum, a.attname, a.attnotnull, format_type(a.atttypid, a.atttypmod),
                                             a.attisdropped, a.atthasdef, a.attidentity <> '', a.attgenerated <> '', a.atttypid || ':' || a.atttypmod)), '[]')
     FROM scope s, LATERAL (SELECT * FROM pg_attribute a WHERE a.attrelid = s.oid AND a.attnum > 0) a) AS columns,
  (SELECT coalesce(json_agg(json_build_array(con.oid, con.conrelid, con.conname, con.contype, con.convalidated,
                                             pg_get_constraintdef(con.oid), con.conindid, con.confrelid)), '[]')
     FROM pg_constraint con WHERE con.conrelid IN (SELECT oid FROM scope) OR con.confrelid IN (SELECT oid FROM scope)) AS constraints,
  (SELECT coalesce(json_agg(json_build_array(t.oid, n.nspname, t.typname, t.typtype)), '[]')
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
      AND (t.typtype IN ('e','d','r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))) AS types,
  (SELECT coalesce(json_agg(json_build_array(oid, nspname)), '[]') FROM pg_namespace
    WHERE nspname <> 'information_schema' AND nspname !~ '^pg_') AS schemas,
  (SELECT coalesce(json_agg(json_build_array(l.relation, l.mode)), '[]')
     FROM pg_locks l JOIN tracked t ON t.oid = l.relation
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted) AS locks,
  (SELECT setting::int8 FROM pg_settings WHERE name = 'lock_timeout') AS lock_timeout_ms`;

/** The whole catalog: every relation, the columns and constraints of every tracked one. */
const OBSERVATION_SQL = `${RELS_CTE}, rels AS (SELECT * FROM all_rels), scope AS (SELECT oid FROM tracked)
SELECT ${DETAILS_SQL}`;

/**
 * What a statement inside the trace's open transaction can have changed. Relations, their columns
 * and constraints are read again only for those this backend holds a lock on (with their indexes,
 * and the tables of locked indexes) and those new since \`$2\` (the previous observation's
 * relations); \`gone\` are the previous ones that no longer exist. PostgreSQL creates, drops,
 * renames, rewrites and alters a relation only under a lock on it, held to the end of the
 * transaction — so every other relation is as the previous observation read it. The one change that
 * reaches relations without locking them, a schema renamed, is caught by observeInTransaction.
 */
const SCOPED_OBSERVATION_SQL = `${RELS_CTE}, mine AS (
  SELECT DISTINCT l.relation AS oid FROM pg_locks l
   WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
), scope AS (
  SELECT r.oid FROM all_rels r JOIN mine m ON m.oid = r.oid
  UNION SELECT r.oid FROM all_rels r JOIN pg_index i ON i.indexrelid = r.oid JOIN mine m ON m.oid = i.indrelid
  UNION SELECT r.oid FROM all_rels r JOIN pg_index i ON i.indrelid = r.oid JOIN mine m ON m.oid = i.indexrelid
  UNION SELECT oid FROM all_rels WHERE oid NOT IN (SELECT unnest($2::oid[]))
), rels AS (
  SELECT * FROM all_rels WHERE oid IN (SELECT oid FROM scope)
)
SELECT (SELECT coalesce(json_agg(oid), '[]') FROM scope) AS scope,
       (SELECT coalesce(json_agg(p), '[]') FROM unnest($2::oid[]) p WHERE p NOT IN (SELECT oid FROM all_rels)) AS gone,
       ${DETAILS_SQL}`;

export const RELATION_KINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  i: 'index',
  I: 'partitioned index',
  S: 'sequence',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

const CONSTRAINT_TYPES: Record<string, ConstraintType> = {
  c: 'check',
  f: 'foreign key',
  u: 'unique',
  p: 'primary key',
  x: 'exclusion',
  n: 'not null',
  t: 'trigger',
};

const TYPE_KINDS: Record<string, ObservedType['kind']> = { e: 'enum', d: 'domain', r: 'range', c: 'composite' };

interface ObservationRow extends Record<string, unknown> {
  relations: unknown[][];
  columns: unknown[][];
  constraints: unknown[][];
  types: unknown[][];
  schemas: unknown[][];
  locks: unknown[][];
  lock_timeout_ms: string;
}

/**
 * Observe the catalog. `tracked`: the relations that existed before the migration (from the first
 * observation, made with `undefined`: then every user relation is tracked).
 */
export async function observeCatalog(db: Queryable, tracked?: readonly number[]): Promise<Observation> {
  const { rows } = await db.query<ObservationRow>(OBSERVATION_SQL, [tracked ? [...tracked] : null]);
  return toObservation(rows[0]!);
}

/**
 * Observe the catalog inside the transaction the statements since `previous` ran in (it must still
 * be open, holding their locks): types, schemas, locks and settings whole; relations, columns and
 * constraints read again only where this transaction can have changed them (SCOPED_OBSERVATION_SQL)
 * and taken from `previous` elsewhere. The result is the observation
 * observeCatalog would make, with the columns and constraints of every relation `previous` held
 * plus those of the new or locked ones (untracked ones included: nothing reads them but the next
 * observation, and the next migration's trace when it starts from this one).
 */
export async function observeInTransaction(db: Queryable, previous: Observation, tracked: readonly number[]): Promise<Observation> {
  const { rows } = await db.query<ObservationRow & { scope: number[]; gone: number[] }>(SCOPED_OBSERVATION_SQL, [[...tracked], [...previous.relations.keys()]]);
  const row = rows[0]!;
  const fresh = toObservation(row);
  // A renamed schema renames its relations without locking them: read everything again.
  if ([...fresh.schemas].some(([oid, name]) => previous.schemas.has(oid) && previous.schemas.get(oid) !== name)) return observeCatalog(db);
  const scope = new Set(row.scope.map(Number));
  const gone = new Set(row.gone.map(Number));
  const relations = new Map([...previous.relations].filter(([oid]) => !scope.has(oid) && !gone.has(oid)));
  for (const [oid, relation] of fresh.relations) relations.set(oid, relation);
  const exists = (oid: number) => relations.has(oid);
  const columns = new Map([...previous.columns].filter(([, c]) => !scope.has(c.table) && exists(c.table)));
  for (const [key, column] of fresh.columns) columns.set(key, column);
  const kept = (c: ObservedConstraint) => !scope.has(c.table) && !scope.has(c.references) && exists(c.table) && (c.references === 0 || exists(c.references));
  const constraints = new Map([...previous.constraints].filter(([, c]) => kept(c)));
  for (const [oid, constraint] of fresh.constraints) constraints.set(oid, constraint);
  return { ...fresh, relations, columns, constraints };
}

/** `previous` as the start of the next migration on the same connection: its transaction ended, so no locks; settings read again. */
export async function observationAfterCommit(db: Queryable, previous: Observation): Promise<Observation> {
  const { rows } = await db.query<{ ms: string }>("SELECT setting::int8 AS ms FROM pg_settings WHERE name = 'lock_timeout'");
  return { ...previous, locks: [], lockTimeoutMs: Number(rows[0]!.ms) };
}

function toObservation(row: ObservationRow): Observation {
  return {
    relations: new Map(row.relations.map(toRelation).map((r) => [r.oid, r])),
    columns: new Map(row.columns.map(toColumn).map((c) => [`${c.table}:${c.attnum}`, c])),
    constraints: new Map(row.constraints.map(toConstraint).map((c) => [c.oid, c])),
    types: new Map(row.types.map(toType).map((t) => [t.oid, t])),
    schemas: new Map(row.schemas.map(([oid, name]) => [Number(oid), String(name)])),
    locks: row.locks.flatMap(([relation, mode]) => (isLockMode(String(mode)) ? [{ relation: Number(relation), mode: mode as LockMode }] : [])),
    lockTimeoutMs: Number(row.lock_timeout_ms),
  };
}

function toRelation([oid, schema, name, kind, filenode, table, unique]: unknown[]): ObservedRelation {
  return {
    oid: Number(oid),
    schema: String(schema),
    name: String(name),
    kind: RELATION_KINDS[String(kind)] ?? 'table',
    filenode: Number(filenode),
    ...(table != null ? { table: Number(table), unique: unique === true } : {}),
  };
}

function toColumn([table, attnum, name, notNull, type, dropped, hasDefault, identity, generated, typeId]: unknown[]): ObservedColumn {
  return {
    table: Number(table),
    attnum: Number(attnum),
    name: String(name),
    notNull: notNull === true,
    type: String(type),
    typeId: String(typeId),
    dropped: dropped === true,
    hasDefault: hasDefault === true,
    identity: identity === true,
    generated: generated === true,
  };
}

function toConstraint([oid, table, name, type, validated, definition, index, references]: unknown[]): ObservedConstraint {
  return {
    oid: Number(oid),
    table: Number(table),
    name: String(name),
    type: CONSTRAINT_TYPES[String(type)] ?? 'check',
    validated: validated === true,
    definition: textOf(definition),
    index: Number(index ?? 0),
    references: Number(references ?? 0),
  };
}

function toType([oid, schema, name, kind]: unknown[]): ObservedType {
  return { oid: Number(oid), schema: String(schema), name: String(name), kind: TYPE_KINDS[String(kind)] ?? 'composite' };
}

/** The OIDs of a name, resolved the way the statement would (search_path): to name a relation a statement outside a transaction locks. */
export async function resolveRelation(db: Queryable, name: string): Promise<number | undefined> {
  const { rows } = await db.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [name]);
  const oid = rows[0]?.oid;
  return oid == null ? undefined : Number(oid);
}

/**
 * Foreign keys whose referencing columns are not the leading columns of any valid, non-partial
 * index (Eugene's E15 query): deleting or updating a referenced row then scans the referencing
 * table. Only those not in `known` (constraints that existed before the migration) are returned.
 */
export async function foreignKeysWithoutIndex(db: Queryable, known: ReadonlySet<number>): Promise<ForeignKeyWithoutIndex[]> {
  const { rows } = await db.query<{ oid: string; conname: string; nspname: string; relname: string; columns: string[] }>(`
    SELECT con.oid, con.conname, n.nspname, c.relname,
           array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, pos)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS columns
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE con.contype = 'f' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = con.conrelid AND i.indpred IS NULL AND i.indisvalid
                        AND (i.indkey::int2[])[0:array_length(con.conkey, 1) - 1] = con.conkey)`);
  return rows.filter((r) => !known.has(Number(r.oid))).map((r) => ({ constraint: r.conname, table: { schema: r.nspname, name: r.relname }, columns: r.columns }));
}
