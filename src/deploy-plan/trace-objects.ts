import type { CatalogChanges, MigrationTrace } from './types.js';

/**
 * What a traced migration creates, alters and drops, from the catalog changes the trace observed
 * after each of its statements (no introspection of the whole schema: a large schema would cost a
 * full read per pending migration). Names read `kind schema.name` like the schema diff's.
 */
export function objectsFromTrace(trace: MigrationTrace): { created: string[]; altered: string[]; dropped: string[] } {
  const created = new Set<string>();
  const altered = new Set<string>();
  const dropped = new Set<string>();
  for (const statement of trace.statements) {
    if (statement.changes) collect(statement.changes, created, altered, dropped);
  }
  // Made and changed by the same migration: it is new.
  for (const name of created) altered.delete(name);
  return { created: [...created], altered: [...altered], dropped: [...dropped] };
}

function collect(changes: CatalogChanges, created: Set<string>, altered: Set<string>, dropped: Set<string>): void {
  const rel = (r: { schema: string; name: string; kind?: string }) => `${r.kind ?? 'relation'} ${r.schema}.${r.name}`;
  for (const relation of changes.created) created.add(rel(relation));
  for (const relation of changes.dropped) dropped.add(rel(relation));
  for (const { relation, to } of changes.renamed) altered.add(`${rel(relation)} (renamed to ${to.schema}.${to.name})`);
  for (const { relation } of changes.rewritten) altered.add(rel(relation));
  for (const change of changes.columns) {
    const column = `column ${change.at.table.schema}.${change.at.table.name}.${change.at.column}`;
    if (change.kind === 'added') created.add(column);
    else if (change.kind === 'dropped') dropped.add(column);
    else altered.add(column);
  }
  for (const change of changes.constraints) {
    const constraint = `constraint ${change.constraint.table.schema}.${change.constraint.table.name}.${change.constraint.name}`;
    if (change.kind === 'added') created.add(constraint);
    else if (change.kind === 'dropped') dropped.add(constraint);
    else altered.add(constraint);
  }
  for (const type of changes.droppedTypes) dropped.add(`${type.kind} ${type.schema}.${type.name}`);
  for (const schema of changes.droppedSchemas) dropped.add(`schema ${schema}`);
}
