import type { SchemaModel, SchemaObject, SchemaObjectKind } from './schema-model.js';

/** How many objects of each kind a model holds, in the order a person reads them (tables first). */
export type SchemaSummary = Array<{ kind: SchemaObjectKind; count: number }>;

/** The order of the "schema matches: 42 tables, 39 indexes, 51 constraints, 3 views …" line. */
const SUMMARY_ORDER: readonly SchemaObjectKind[] = [
  'table',
  'column',
  'index',
  'constraint',
  'view',
  'materialized view',
  'function',
  'procedure',
  'trigger',
  'policy',
  'enum',
  'domain',
  'sequence',
  'extension',
  'schema',
];

/** Counts per kind; kinds with no object are left out. */
export function summarizeSchema(model: SchemaModel): SchemaSummary {
  return summarizeObjects(model.objects.values());
}

export function summarizeObjects(objects: Iterable<SchemaObject>): SchemaSummary {
  const counts = new Map<SchemaObjectKind, number>();
  for (const object of objects) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
  return SUMMARY_ORDER.filter((kind) => counts.has(kind)).map((kind) => ({ kind, count: counts.get(kind)! }));
}

/** `42 tables, 39 indexes, 51 constraints, 3 views` (`no objects` for an empty model). */
export function formatSchemaSummary(summary: SchemaSummary): string {
  if (summary.length === 0) return 'no objects';
  return summary.map(({ kind, count }) => countOf(count, kind)).join(', ');
}

const PLURALS: Partial<Record<SchemaObjectKind, string>> = { index: 'indexes', policy: 'policies' };

/** `1 table`, `39 indexes`, `2 materialized views`. */
export function countOf(count: number, kind: SchemaObjectKind): string {
  return `${count} ${count === 1 ? kind : (PLURALS[kind] ?? `${kind}s`)}`;
}
