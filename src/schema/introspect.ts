/**
 * Schema introspection: the catalog queries behind the schema model (src/schema/schema-model.ts).
 *
 * Why our own queries and not a library (README, "Schema introspection: why catalog queries"):
 * neither @pgkit/schemainspect nor extract-pg-schema reads index validity or sequence parameters,
 * extract-pg-schema also misses NOT VALID, deferrability, exclusion constraints and extension
 * versions and runs several information_schema queries per table (seconds for 100 tables), and
 * neither can introspect only the objects a migration touched, which attribution needs.
 *
 * One round trip: one statement per object kind, sent together as one simple-protocol query, so
 * PostgreSQL runs them back to back in one implicit transaction on the caller's connection, with
 * `search_path = pg_catalog` set for that transaction only. With that search path every name
 * outside pg_catalog that PostgreSQL prints (format_type, pg_get_expr, pg_get_indexdef …) is
 * schema-qualified, the same way on the live database and on the shadow. Identifiers in keys are
 * quoted by PostgreSQL's own quote_ident, so they are quoted exactly where PostgreSQL needs it.
 *
 * Must not be called inside a transaction that has to keep a different search_path: the setting
 * is transaction-local.
 */
import type pg from 'pg';
import { sqlLiteral } from '../db/sql-literal.js';
import { SHADOW_SCHEMA, type SchemaExclusions } from './exclusions.js';
import { objectKey, schemaModel, type SchemaModel, type SchemaObject, type SchemaObjectKind } from './schema-model.js';

/**
 * Introspect only some objects (the ones a migration touched, src/schema/attribution.ts). Names
 * are display names as in object keys. A relation brings everything it owns (columns,
 * constraints, indexes, triggers, policies, serial sequences); a list left out means none.
 */
export interface IntrospectionScope {
  /** Tables, views, materialized views, standalone sequences: `public.users`. */
  readonly relations?: readonly string[];
  /** Functions and procedures with their argument types: `public.f(integer, text)`. */
  readonly functions?: readonly string[];
  /** Enums and domains: `public.mood`. */
  readonly types?: readonly string[];
  readonly schemas?: readonly string[];
  readonly extensions?: readonly string[];
}

export interface IntrospectOptions {
  exclude: SchemaExclusions;
  /** Only these objects; undefined: the whole database. */
  only?: IntrospectionScope;
}

/** A connection (pg.Client or a pool's client): the statements go out as one multi-statement query. */
export type IntrospectionClient = Pick<pg.ClientBase, 'query'>;

type Row = Record<string, unknown>;
/** One statement per object kind; `sql` gets the scope to filter by (undefined: everything). */
type KindQuery = { sql(only: IntrospectionScope | undefined): string; map(row: Row): SchemaObject };

export async function introspectSchema(client: IntrospectionClient, options: IntrospectOptions): Promise<SchemaModel> {
  const queries = kindQueries(options);
  if (queries.length === 0) return schemaModel([]);
  const ctes = commonTableExpressions(options);
  const text = [`SELECT set_config('search_path', 'pg_catalog', true)`, ...queries.map((q) => `${ctes}\n${q.sql(options.only)}`)].join(';\n');
  const results = (await client.query(text)) as unknown as Array<pg.QueryResult<Row>>;
  const objects: SchemaObject[] = [];
  queries.forEach((query, i) => {
    for (const row of results[i + 1]!.rows) objects.push(query.map(row));
  });
  return schemaModel(objects);
}

/** Which statements to send: all kinds, or only those a scope asks for. */
function kindQueries(options: IntrospectOptions): KindQuery[] {
  const only = options.only;
  const wants = (list: readonly string[] | undefined) => only === undefined || (list?.length ?? 0) > 0;
  const queries: KindQuery[] = [];
  if (wants(only?.schemas)) queries.push(SCHEMAS);
  if (wants(only?.extensions)) queries.push(EXTENSIONS);
  if (wants(only?.types)) queries.push(TYPES);
  if (wants(only?.functions)) queries.push(FUNCTIONS);
  if (wants(only?.relations)) queries.push(RELATIONS, COLUMNS, CONSTRAINTS, INDEXES, TRIGGERS, POLICIES);
  return queries;
}

/** A text[] literal for the filters (values are names: sqlLiteral's quoting is the whole escape). */
function textArray(values: readonly string[]): string {
  return values.length === 0 ? `'{}'::text[]` : `ARRAY[${values.map(sqlLiteral).join(', ')}]::text[]`;
}

/** `AND <column> = ANY(<list>)` when the scope restricts this kind. */
function scopeFilter(column: string, list: readonly string[] | undefined, only: IntrospectionScope | undefined): string {
  return only === undefined ? '' : `AND ${column} = ANY(${textArray(list ?? [])})`;
}

/**
 * The CTEs every statement starts with: `ns`, the schemas looked at; `rel`, the relations looked
 * at, each with its scope (its own name, or for a serial sequence its table's) and its owner.
 */
function commonTableExpressions({ exclude, only }: IntrospectOptions): string {
  const anySchema = exclude.tables.filter((t) => t.schema === undefined).map((t) => t.name);
  const qualified = exclude.tables.filter((t) => t.schema !== undefined).map((t) => `${t.schema}.${t.name}`);
  return `WITH ns AS (
  SELECT n.oid, n.nspname FROM pg_namespace n
  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
    AND n.nspname <> ALL(${textArray([SHADOW_SCHEMA, ...exclude.schemas])})
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
), rel_all AS (
  SELECT c.oid, c.relkind, ns.nspname, c.relname, quote_ident(ns.nspname) AS schema_name,
    quote_ident(ns.nspname) || '.' || quote_ident(c.relname) AS name,
    own.deptype AS own_deptype, oc.relkind AS owner_kind, quote_ident(ons.nspname) || '.' || quote_ident(oc.relname) AS owner_name,
    oc.relname AS owner_relname, ons.nspname AS owner_nspname, oa.attname AS owner_column
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  LEFT JOIN pg_depend own ON c.relkind = 'S' AND own.classid = 'pg_class'::regclass AND own.objid = c.oid
    AND own.refclassid = 'pg_class'::regclass AND own.deptype IN ('a', 'i')
  LEFT JOIN pg_class oc ON oc.oid = own.refobjid
  LEFT JOIN pg_namespace ons ON ons.oid = oc.relnamespace
  LEFT JOIN pg_attribute oa ON oa.attrelid = own.refobjid AND oa.attnum = own.refobjsubid
  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
), rel AS (
  SELECT r.*, coalesce(r.owner_name, r.name) AS scope FROM rel_all r
  WHERE r.own_deptype IS DISTINCT FROM 'i'
    AND coalesce(r.owner_relname, r.relname) <> ALL(${textArray(anySchema)})
    AND coalesce(r.owner_nspname, r.nspname) || '.' || coalesce(r.owner_relname, r.relname) <> ALL(${textArray(qualified)})
    ${scopeFilter('coalesce(r.owner_name, r.name)', only?.relations, only)}
)`;
}

const RELATION_KIND: Record<string, SchemaObjectKind> = { r: 'table', p: 'table', f: 'table', v: 'view', m: 'materialized view', S: 'sequence' };

function relationKind(relkind: unknown): SchemaObjectKind {
  return RELATION_KIND[String(relkind)] ?? 'table';
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A child of a relation (column, constraint, trigger, policy): `schema.table.child`. */
function childOf(row: Row, kind: SchemaObjectKind, childName: string, fields: Record<string, string>): SchemaObject {
  const name = `${text(row.rel)}.${childName}`;
  return { key: objectKey(kind, name), kind, name, schema: text(row.schema_name), table: objectKey(relationKind(row.relkind), text(row.rel)), fields };
}

/** Flags PostgreSQL shows as booleans, as the words a person reads in a difference. */
const NULLABILITY = (notNull: unknown) => (notNull === true ? 'NOT NULL' : 'NULL');

const SCHEMAS: KindQuery = {
  sql: (only) => `SELECT quote_ident(ns.nspname) AS name FROM ns WHERE true ${scopeFilter('quote_ident(ns.nspname)', only?.schemas, only)}`,
  map: (row) => ({ key: objectKey('schema', text(row.name)), kind: 'schema', name: text(row.name), fields: {} }),
};

const EXTENSIONS: KindQuery = {
  sql: (only) => `SELECT quote_ident(e.extname) AS name, e.extversion, n.nspname AS ext_schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE true ${scopeFilter('quote_ident(e.extname)', only?.extensions, only)}`,
  map: (row) => ({
    key: objectKey('extension', text(row.name)),
    kind: 'extension',
    name: text(row.name),
    fields: { version: text(row.extversion), schema: text(row.ext_schema) },
  }),
};

/** Enums (labels in order) and domains (base type, NOT NULL, default, collation, named checks). */
const TYPES: KindQuery = {
  sql: (only) => `SELECT quote_ident(ns.nspname) || '.' || quote_ident(t.typname) AS name, quote_ident(ns.nspname) AS schema_name, t.typtype,
  (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels,
  format_type(t.typbasetype, t.typtypmod) AS base_type, t.typnotnull, t.typdefault,
  (SELECT quote_ident(co.collname) FROM pg_collation co JOIN pg_type bt ON bt.oid = t.typbasetype
    WHERE co.oid = t.typcollation AND t.typcollation <> bt.typcollation) AS collation,
  (SELECT string_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname)
    FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS checks
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  ${scopeFilter(`quote_ident(ns.nspname) || '.' || quote_ident(t.typname)`, only?.types, only)}`,
  map: (row): SchemaObject => {
    const name = text(row.name);
    if (row.typtype === 'e') return { key: objectKey('enum', name), kind: 'enum', name, schema: text(row.schema_name), fields: { labels: text(row.labels) } };
    return {
      key: objectKey('domain', name),
      kind: 'domain',
      name,
      schema: text(row.schema_name),
      fields: {
        type: text(row.base_type),
        nullability: NULLABILITY(row.typnotnull),
        default: text(row.typdefault),
        collation: row.collation ? `COLLATE ${text(row.collation)}` : '',
        constraints: text(row.checks),
      },
    };
  },
};

/** `public.f(integer, text)`: input argument types identify a function among its overloads. */
export const FUNCTION_NAME_SQL = `quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '(' || oidvectortypes(p.proargtypes) || ')'`;

/**
 * Functions and procedures (aggregates are not modelled). The body is the source as written
 * (prosrc), except for SQL-standard bodies (BEGIN ATOMIC), which PostgreSQL stores parsed: for
 * those, pg_get_functiondef's deparsed text.
 */
const FUNCTIONS: KindQuery = {
  sql: (only) => `SELECT ${FUNCTION_NAME_SQL} AS name, quote_ident(ns.nspname) AS schema_name, p.prokind,
  pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result, l.lanname,
  p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel, p.procost, p.prorows, p.proretset,
  array_to_string(p.proconfig, ' SET ') AS config,
  CASE WHEN p.prosrc = '' AND l.lanname = 'sql' THEN pg_get_functiondef(p.oid) ELSE p.prosrc END AS body
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  ${scopeFilter(FUNCTION_NAME_SQL, only?.functions, only)}`,
  map: (row) => {
    const kind: SchemaObjectKind = row.prokind === 'p' ? 'procedure' : 'function';
    const name = text(row.name);
    return {
      key: objectKey(kind, name),
      kind,
      name,
      schema: text(row.schema_name),
      fields: {
        arguments: text(row.arguments),
        returns: text(row.result),
        language: text(row.lanname),
        attributes: functionAttributes(row),
        body: text(row.body),
      },
    };
  },
};

const VOLATILITY: Record<string, string> = { i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' };
const PARALLEL: Record<string, string> = { s: 'PARALLEL SAFE', r: 'PARALLEL RESTRICTED', u: '' };

/** The clauses of CREATE FUNCTION besides its body, defaults left out: `STABLE STRICT SECURITY DEFINER SET search_path=…`. */
function functionAttributes(row: Row): string {
  const parts = [VOLATILITY[text(row.provolatile)] ?? ''];
  if (row.proisstrict === true) parts.push('STRICT');
  if (row.prosecdef === true) parts.push('SECURITY DEFINER');
  if (row.proleakproof === true) parts.push('LEAKPROOF');
  parts.push(PARALLEL[text(row.proparallel)] ?? '');
  // 100 for SQL-language functions, 1 for C and internal ones: only another cost was chosen.
  const cost = Number(row.procost);
  if (cost !== 100 && cost !== 1) parts.push(`COST ${cost}`);
  if (row.proretset === true && Number(row.prorows) !== 1000) parts.push(`ROWS ${Number(row.prorows)}`);
  if (row.config) parts.push(`SET ${text(row.config)}`);
  return parts.filter(Boolean).join(' ');
}

/** Tables (RLS, partitioning, persistence, options), views and materialized views (definition), sequences. */
const RELATIONS: KindQuery = {
  sql: () => `SELECT r.name, r.schema_name, r.relkind, r.owner_name, r.owner_kind, quote_ident(r.owner_column) AS owner_column,
  c.relrowsecurity, c.relforcerowsecurity, c.relpersistence, array_to_string(c.reloptions, ', ') AS options,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
  CASE WHEN c.relispartition THEN (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) FROM pg_inherits i
    JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid)
    || ' ' || pg_get_expr(c.relpartbound, c.oid) END AS partition_of,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition,
  format_type(s.seqtypid, NULL) AS seq_type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
FROM rel r JOIN pg_class c ON c.oid = r.oid LEFT JOIN pg_sequence s ON s.seqrelid = c.oid`,
  map: (row) => {
    const kind = relationKind(row.relkind);
    const name = text(row.name);
    const base = { key: objectKey(kind, name), kind, name, schema: text(row.schema_name) };
    if (kind === 'sequence') {
      const table = row.owner_name ? objectKey(relationKind(row.owner_kind), text(row.owner_name)) : undefined;
      return { ...base, ...(table ? { table } : {}), fields: sequenceFields(row) };
    }
    if (kind === 'view' || kind === 'materialized view') {
      return { ...base, fields: { definition: oneLine(text(row.definition)), options: text(row.options) } };
    }
    return { ...base, fields: tableFields(row) };
  },
};

function tableFields(row: Row): Record<string, string> {
  const rowSecurity = row.relrowsecurity !== true ? 'disabled' : row.relforcerowsecurity === true ? 'enabled, forced' : 'enabled';
  return {
    'row level security': rowSecurity,
    persistence: row.relpersistence === 'u' ? 'UNLOGGED' : '',
    'partition by': row.partition_key ? `PARTITION BY ${text(row.partition_key)}` : '',
    'partition of': row.partition_of ? `PARTITION OF ${text(row.partition_of)}` : '',
    options: text(row.options),
  };
}

function sequenceFields(row: Row): Record<string, string> {
  return {
    type: text(row.seq_type),
    start: text(row.seqstart),
    increment: text(row.seqincrement),
    minimum: text(row.seqmin),
    maximum: text(row.seqmax),
    cache: text(row.seqcache),
    cycle: row.seqcycle === true ? 'CYCLE' : 'NO CYCLE',
    'owned by': row.owner_name ? `${text(row.owner_name)}.${text(row.owner_column)}` : '',
  };
}

/** View definitions come back over several indented lines: one line reads better in a difference. */
function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/** Columns of tables (a view's columns are part of its definition). */
const COLUMNS: KindQuery = {
  sql: () => `SELECT r.name AS rel, r.relkind, r.schema_name, quote_ident(a.attname) AS column_name,
  format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity, a.attgenerated,
  pg_get_expr(ad.adbin, ad.adrelid) AS expression,
  (SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace THEN quote_ident(co.collname)
    ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
    FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
    WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation) AS collation
FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE r.relkind IN ('r', 'p', 'f')`,
  map: (row) => {
    const generated = text(row.attgenerated) !== '';
    const identity = text(row.attidentity);
    return childOf(row, 'column', text(row.column_name), {
      type: text(row.type),
      nullability: NULLABILITY(row.attnotnull),
      default: generated ? '' : text(row.expression),
      identity: identity === 'a' ? 'GENERATED ALWAYS AS IDENTITY' : identity === 'd' ? 'GENERATED BY DEFAULT AS IDENTITY' : '',
      generated: generated ? `GENERATED ALWAYS AS (${text(row.expression)}) STORED` : '',
      collation: row.collation ? `COLLATE ${text(row.collation)}` : '',
    });
  },
};

/**
 * Primary keys, foreign keys, unique, check and exclusion constraints of tables. NOT NULL is the
 * column's (PostgreSQL 18 also lists it here); a constraint trigger is a trigger.
 */
const CONSTRAINTS: KindQuery = {
  sql: () => `SELECT r.name AS rel, r.relkind, r.schema_name, quote_ident(co.conname) AS constraint_name,
  pg_get_constraintdef(co.oid) AS definition, co.convalidated
FROM rel r JOIN pg_constraint co ON co.conrelid = r.oid
WHERE co.contype IN ('p', 'f', 'u', 'c', 'x')`,
  map: (row) =>
    childOf(row, 'constraint', text(row.constraint_name), {
      // pg_get_constraintdef ends a NOT VALID constraint with " NOT VALID": a field of its own.
      definition: text(row.definition).replace(/ NOT VALID$/, ''),
      validation: row.convalidated === true ? 'valid' : 'NOT VALID',
    }),
};

/** Indexes, except those that implement a primary key, unique or exclusion constraint (compared as that constraint). */
const INDEXES: KindQuery = {
  sql: () => `SELECT r.name AS rel, r.relkind, r.schema_name, quote_ident(ins.nspname) || '.' || quote_ident(ic.relname) AS name,
  pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid
FROM rel r JOIN pg_index i ON i.indrelid = r.oid
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace ins ON ins.oid = ic.relnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))`,
  map: (row) => {
    const name = text(row.name);
    return {
      key: objectKey('index', name),
      kind: 'index',
      name,
      schema: text(row.schema_name),
      table: objectKey(relationKind(row.relkind), text(row.rel)),
      fields: { definition: text(row.definition), validity: row.indisvalid === true ? 'valid' : 'INVALID' },
    };
  },
};

const TRIGGER_STATE: Record<string, string> = { O: 'enabled', D: 'disabled', R: 'enabled on replica only', A: 'enabled always' };

/** Triggers on tables and views (not the internal ones behind foreign keys). */
const TRIGGERS: KindQuery = {
  sql: () => `SELECT r.name AS rel, r.relkind, r.schema_name, quote_ident(t.tgname) AS trigger_name,
  pg_get_triggerdef(t.oid) AS definition, t.tgenabled
FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid WHERE NOT t.tgisinternal`,
  map: (row) =>
    childOf(row, 'trigger', text(row.trigger_name), {
      definition: text(row.definition),
      state: TRIGGER_STATE[text(row.tgenabled)] ?? text(row.tgenabled),
    }),
};

const POLICY_COMMAND: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

/** Row-level security policies (whether RLS is on is the table's field). */
const POLICIES: KindQuery = {
  sql: () => `SELECT r.name AS rel, r.relkind, r.schema_name, quote_ident(p.polname) AS policy_name, p.polcmd, p.polpermissive,
  CASE WHEN p.polroles = '{0}' THEN 'public'
    ELSE (SELECT string_agg(quote_ident(a.rolname), ', ' ORDER BY a.rolname) FROM pg_roles a WHERE a.oid = ANY(p.polroles)) END AS roles,
  pg_get_expr(p.polqual, p.polrelid) AS using_expression, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expression
FROM rel r JOIN pg_policy p ON p.polrelid = r.oid`,
  map: (row) =>
    childOf(row, 'policy', text(row.policy_name), {
      command: POLICY_COMMAND[text(row.polcmd)] ?? text(row.polcmd),
      mode: row.polpermissive === true ? 'PERMISSIVE' : 'RESTRICTIVE',
      roles: text(row.roles),
      using: text(row.using_expression),
      'with check': text(row.check_expression),
    }),
};
