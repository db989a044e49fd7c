/**
 * The shadow's DDL log: an event trigger that records every object a migration creates, alters
 * or drops, so that attribution (src/schema/attribution.ts) re-introspects only those.
 *
 * Event triggers fire in every session of the database, whoever runs the DDL (the step runner's
 * connections, Payload's child process) and for DDL run from plpgsql (DO blocks, functions).
 * They need a superuser to create; the function is SECURITY DEFINER so that DDL run by any role
 * can append to the log. The log rows are written in the migration's own transaction: a
 * migration that rolls back leaves no rows.
 *
 * Objects are recorded by (catalog, OID): this is the shadow's own bookkeeping, read back on the
 * same database, never compared with another database. What each OID means is resolved after the
 * migration, when every object it names has its final name.
 */
import { SHADOW_SCHEMA } from './exclusions.js';
import { FUNCTION_NAME_SQL } from './introspect.js';

const LOG = `${SHADOW_SCHEMA}.ddl_log`;

/**
 * Installs (or re-installs) the schema, log table, trigger function and the two event triggers,
 * as one multi-statement query, so one implicit transaction: a role that may not create event
 * triggers leaves nothing behind.
 */
export const INSTALL_DDL_LOG_SQL = `
DROP EVENT TRIGGER IF EXISTS polymigrate_shadow_ddl;
DROP EVENT TRIGGER IF EXISTS polymigrate_shadow_drop;
DROP SCHEMA IF EXISTS ${SHADOW_SCHEMA} CASCADE;
CREATE SCHEMA ${SHADOW_SCHEMA};
CREATE TABLE ${LOG} (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  command_tag text,
  classid oid,
  objid oid,
  object_type text,
  address_names text[],
  address_args text[]
);
CREATE FUNCTION ${SHADOW_SCHEMA}.log_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO ${LOG} (event, command_tag, classid, objid, object_type, address_names, address_args)
    SELECT 'drop', TG_TAG, d.classid, d.objid, d.object_type, d.address_names, d.address_args
    FROM pg_event_trigger_dropped_objects() d;
  ELSE
    INSERT INTO ${LOG} (event, command_tag, classid, objid, object_type)
    SELECT 'ddl', c.command_tag, c.classid, c.objid, c.object_type
    FROM pg_event_trigger_ddl_commands() c WHERE NOT c.in_extension;
  END IF;
END
$body$;
CREATE EVENT TRIGGER polymigrate_shadow_ddl ON ddl_command_end EXECUTE FUNCTION ${SHADOW_SCHEMA}.log_ddl();
CREATE EVENT TRIGGER polymigrate_shadow_drop ON sql_drop EXECUTE FUNCTION ${SHADOW_SCHEMA}.log_ddl();
SELECT coalesce(max(id), 0)::text AS last_id FROM ${LOG}`;

/** Which part of the model an object belongs to: what introspection can be narrowed to. */
export type ScopeCategory = 'relation' | 'function' | 'type' | 'schema' | 'extension';

/** A log row, resolved: the scope the touched object belongs to, by OID and by its name now. */
export interface ResolvedTouch {
  event: 'ddl' | 'dependent';
  /** `<catalog oid>:<object oid>` of the touched object. */
  object: string;
  category: ScopeCategory;
  /** `<category>:<scope object oid>`: stays the same when the scope is renamed. */
  scopeId: string;
  /** The scope's display name now (`public.users`, `public.f(integer)`). */
  name: string;
}

/** A dropped object: it no longer exists, so only what the drop event said about it is known. */
export interface DroppedObject {
  object: string;
  objectType: string;
  /** `quote_ident(names[1]).quote_ident(names[2])` when the address has two or more names. */
  pairName: string | null;
  /** The first address name, quoted (a schema's or an extension's name). */
  firstName: string | null;
}

/**
 * Maps (catalog, OID) pairs to the scope they belong to, with the scope's current name: an index
 * or a serial sequence to its table, a constraint, trigger, policy, default or rule to its table
 * (a domain's constraint to the domain), an array type to its element, a table's row type to
 * the table. Objects of kinds the model does not hold (operators, casts …) resolve to nothing.
 * Input: a CTE `touched(classid, objid)`.
 */
const RESOLVE_SQL = `resolved AS (
  SELECT t.classid, t.objid, 'relation' AS category,
    CASE WHEN c.relkind IN ('i', 'I') THEN i.indrelid WHEN own.refobjid IS NOT NULL THEN own.refobjid ELSE c.oid END AS scope_oid
  FROM touched t JOIN pg_class c ON t.classid = 'pg_class'::regclass AND c.oid = t.objid
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  LEFT JOIN pg_depend own ON c.relkind = 'S' AND own.classid = 'pg_class'::regclass AND own.objid = c.oid
    AND own.refclassid = 'pg_class'::regclass AND own.deptype IN ('a', 'i')
  WHERE c.relkind NOT IN ('t', 'c')
  UNION ALL
  SELECT t.classid, t.objid, CASE WHEN co.conrelid <> 0 THEN 'relation' ELSE 'type' END,
    CASE WHEN co.conrelid <> 0 THEN co.conrelid ELSE co.contypid END
  FROM touched t JOIN pg_constraint co ON t.classid = 'pg_constraint'::regclass AND co.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'relation', x.tgrelid FROM touched t JOIN pg_trigger x ON t.classid = 'pg_trigger'::regclass AND x.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'relation', x.polrelid FROM touched t JOIN pg_policy x ON t.classid = 'pg_policy'::regclass AND x.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'relation', x.adrelid FROM touched t JOIN pg_attrdef x ON t.classid = 'pg_attrdef'::regclass AND x.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'relation', x.ev_class FROM touched t JOIN pg_rewrite x ON t.classid = 'pg_rewrite'::regclass AND x.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'function', p.oid FROM touched t JOIN pg_proc p ON t.classid = 'pg_proc'::regclass AND p.oid = t.objid
  WHERE p.prokind IN ('f', 'p', 'w')
  UNION ALL
  SELECT t.classid, t.objid, CASE WHEN ty.typrelid <> 0 THEN 'relation' ELSE 'type' END,
    CASE WHEN ty.typrelid <> 0 THEN ty.typrelid ELSE ty.oid END
  FROM touched t JOIN pg_type t0 ON t.classid = 'pg_type'::regclass AND t0.oid = t.objid
  JOIN pg_type ty ON ty.oid = CASE WHEN t0.typcategory = 'A' AND t0.typelem <> 0 THEN t0.typelem ELSE t0.oid END
  WHERE ty.typtype IN ('e', 'd') OR ty.typrelid <> 0
  UNION ALL
  SELECT t.classid, t.objid, 'schema', t.objid FROM touched t JOIN pg_namespace n ON t.classid = 'pg_namespace'::regclass AND n.oid = t.objid
  UNION ALL
  SELECT t.classid, t.objid, 'extension', t.objid FROM touched t JOIN pg_extension e ON t.classid = 'pg_extension'::regclass AND e.oid = t.objid
), named AS (
  SELECT r.*, CASE r.category
    WHEN 'relation' THEN (SELECT quote_ident(ns.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = r.scope_oid)
    WHEN 'function' THEN (SELECT ${FUNCTION_NAME_SQL} FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace WHERE p.oid = r.scope_oid)
    WHEN 'type' THEN (SELECT quote_ident(ns.nspname) || '.' || quote_ident(ty.typname) FROM pg_type ty JOIN pg_namespace ns ON ns.oid = ty.typnamespace WHERE ty.oid = r.scope_oid)
    WHEN 'schema' THEN (SELECT quote_ident(n.nspname) FROM pg_namespace n WHERE n.oid = r.scope_oid)
    WHEN 'extension' THEN (SELECT quote_ident(e.extname) FROM pg_extension e WHERE e.oid = r.scope_oid)
  END AS name
  FROM resolved r
)`;

/**
 * The log rows after `afterId`, resolved, in one round trip. An ALTER also touches the objects
 * that depend on what it altered (one level of pg_depend): renaming a table or a type changes how
 * PostgreSQL prints the views, foreign keys, columns and functions that refer to it, though no
 * DDL ran on them.
 */
export function readLogSql(afterId: string): string {
  return `SELECT set_config('search_path', 'pg_catalog', true);
WITH log AS (SELECT * FROM ${LOG} WHERE id > ${BigInt(afterId).toString()}),
ddl AS (SELECT DISTINCT classid, objid, 'ddl' AS event FROM log WHERE event = 'ddl' AND classid IS NOT NULL),
touched AS (
  SELECT classid, objid FROM ddl
  UNION
  SELECT d.classid, d.objid FROM log l JOIN pg_depend d ON d.refclassid = l.classid AND d.refobjid = l.objid
  WHERE l.event = 'ddl' AND l.command_tag LIKE 'ALTER %' AND d.deptype IN ('n', 'a')
), ${RESOLVE_SQL}
SELECT CASE WHEN EXISTS (SELECT 1 FROM ddl WHERE ddl.classid = n.classid AND ddl.objid = n.objid) THEN 'ddl' ELSE 'dependent' END AS event,
  n.classid::text || ':' || n.objid::text AS object, n.category, n.category || ':' || n.scope_oid::text AS scope_id, n.name
FROM named n WHERE n.name IS NOT NULL;
SELECT l.classid::text || ':' || l.objid::text AS object, l.object_type,
  CASE WHEN cardinality(l.address_names) >= 2 THEN quote_ident(l.address_names[1]) || '.' || quote_ident(l.address_names[2]) END AS pair_name,
  CASE WHEN cardinality(l.address_names) >= 1 THEN quote_ident(l.address_names[1]) END AS first_name
FROM ${LOG} l WHERE l.id > ${BigInt(afterId).toString()} AND l.event = 'drop' ORDER BY l.id;
SELECT coalesce(max(id), 0)::text AS last_id FROM ${LOG}`;
}

/** Every object the model could hold, resolved: the OID → scope map a tracker starts from. */
export const SEED_SQL = `SELECT set_config('search_path', 'pg_catalog', true);
WITH touched AS (
  SELECT 'pg_class'::regclass::oid AS classid, c.oid AS objid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  UNION ALL SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t WHERE t.typtype IN ('e', 'd')
  UNION ALL SELECT 'pg_namespace'::regclass, n.oid FROM pg_namespace n
  UNION ALL SELECT 'pg_extension'::regclass, e.oid FROM pg_extension e
), ${RESOLVE_SQL}
SELECT 'ddl' AS event, n.classid::text || ':' || n.objid::text AS object, n.category, n.category || ':' || n.scope_oid::text AS scope_id, n.name
FROM named n WHERE n.name IS NOT NULL`;

export function toResolvedTouch(row: Record<string, unknown>): ResolvedTouch {
  return {
    event: row.event === 'dependent' ? 'dependent' : 'ddl',
    object: String(row.object),
    category: String(row.category) as ScopeCategory,
    scopeId: String(row.scope_id),
    name: String(row.name),
  };
}

export function toDroppedObject(row: Record<string, unknown>): DroppedObject {
  return {
    object: String(row.object),
    objectType: String(row.object_type),
    pairName: typeof row.pair_name === 'string' ? row.pair_name : null,
    firstName: typeof row.first_name === 'string' ? row.first_name : null,
  };
}
