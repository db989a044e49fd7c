/**
 * The schema model: what `verify`, `baseline` and `check` compare (issue 16, "Schema truth").
 *
 * Every object is keyed by a name-based identity, `<kind> <display name>`, e.g.
 * `table public.users`, `column public.users.email`, `index public.users_email_idx`,
 * `constraint public.users.users_pkey`, `function public.f(integer, text)`, `enum public.mood`,
 * `policy public.users.own_rows`, `extension pgcrypto`. Never an OID: the live database and the
 * shadow build the same objects under different OIDs. Display names quote an identifier only where
 * PostgreSQL needs it (they are made by PostgreSQL's own `quote_ident`), so
 * `column public.avatar_generations."projectId"` reads the way a person would write it.
 *
 * Each object carries the fields that are compared, as text that PostgreSQL itself normalised
 * (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef, format_type, pg_get_expr …, all read
 * with `search_path = pg_catalog` so every name outside pg_catalog is schema-qualified the same
 * way on both sides): two databases built by the same migrations give equal fields, whatever
 * spacing or casing the migrations were written with.
 */

/** Object kinds, in the order differences and summaries list them. */
export const SCHEMA_OBJECT_KINDS = [
  'schema',
  'extension',
  'enum',
  'domain',
  'sequence',
  'table',
  'column',
  'constraint',
  'index',
  'view',
  'materialized view',
  'function',
  'procedure',
  'trigger',
  'policy',
] as const;

export type SchemaObjectKind = (typeof SCHEMA_OBJECT_KINDS)[number];

/** Kinds that own columns, indexes, constraints, triggers and policies ("relations"). */
export const RELATION_KINDS: ReadonlySet<SchemaObjectKind> = new Set(['table', 'view', 'materialized view', 'sequence']);

export interface SchemaObject {
  /** `<kind> <name>`: the object's identity in both databases. */
  readonly key: string;
  readonly kind: SchemaObjectKind;
  /** Display name, e.g. `public.users`, `public.users.email`, `public.f(integer, text)`. */
  readonly name: string;
  /** The schema the object lives in, as displayed (`public`, `"Auth"`); absent for schemas and extensions. */
  readonly schema?: string;
  /** Key of the owning relation: for columns, constraints, indexes, triggers, policies, owned sequences. */
  readonly table?: string;
  /**
   * The compared fields, as PostgreSQL prints them. An empty string means "not set" (no default,
   * no collation): the same field is always present on both sides, so a field appearing or
   * disappearing is an ordinary change of its value.
   */
  readonly fields: Readonly<Record<string, string>>;
}

export interface SchemaModel {
  readonly objects: ReadonlyMap<string, SchemaObject>;
}

export function objectKey(kind: SchemaObjectKind, name: string): string {
  return `${kind} ${name}`;
}

/** `materialized view app.mv` → { kind: 'materialized view', name: 'app.mv' }. */
export function parseObjectKey(key: string): { kind: SchemaObjectKind; name: string } {
  const kind = leadingKind(key);
  if (kind) return { kind, name: key.slice(kind.length + 1) };
  throw new Error(`not a schema object key: ${JSON.stringify(key)}`);
}

/** The kind `text` starts with (followed by a space), if any. */
export function leadingKind(text: string): SchemaObjectKind | undefined {
  // Longest kind first: `materialized view x` must not be read as a `view`.
  return KINDS_LONGEST_FIRST.find((kind) => text.startsWith(`${kind} `));
}

const KINDS_LONGEST_FIRST = [...SCHEMA_OBJECT_KINDS].sort((a, b) => b.length - a.length);

export function schemaModel(objects: Iterable<SchemaObject>): SchemaModel {
  return { objects: new Map([...objects].map((o) => [o.key, o])) };
}

/** Kind order, then name: the order of every list this module produces. */
export function compareObjects(a: { kind: SchemaObjectKind; name: string }, b: { kind: SchemaObjectKind; name: string }): number {
  const byKind = KIND_RANK.get(a.kind)! - KIND_RANK.get(b.kind)!;
  if (byKind !== 0) return byKind;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const KIND_RANK = new Map(SCHEMA_OBJECT_KINDS.map((kind, rank) => [kind, rank]));

/** The names of the fields whose values differ (a field absent on one side reads as not set). */
export function changedFields(a: SchemaObject, b: SchemaObject): string[] {
  const names = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
  return [...names].filter((name) => (a.fields[name] ?? '') !== (b.fields[name] ?? ''));
}
