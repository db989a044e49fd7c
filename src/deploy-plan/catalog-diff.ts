import type { Observation, ObservedColumn, ObservedConstraint } from './catalog-observation.js';
import type { CatalogChanges, ColumnChange, ConstraintChange, ConstraintFact, RelationRef } from './types.js';

/**
 * What one statement changed: the observation after it against the one before it. Pure.
 *
 * Only objects that existed before the migration (`initial`) count as dropped, renamed, rewritten
 * or altered: what the migration creates itself is invisible to other sessions until it commits,
 * so nothing it does to those can block anyone. Relations are named by their name in `initial`,
 * the name the live database knows them by.
 */
export function diffCatalog(initial: Observation, before: Observation, after: Observation): CatalogChanges {
  const ref = (oid: number): RelationRef | undefined => relationRef(initial, oid);
  const changes: CatalogChanges = {
    newIndexes: [],
    created: [],
    dropped: [],
    renamed: [],
    rewritten: [],
    columns: [],
    constraints: [],
    droppedTypes: [],
    droppedSchemas: [],
  };
  for (const [oid, now] of after.relations) {
    const was = before.relations.get(oid);
    if (!was) {
      changes.created.push({ schema: now.schema, name: now.name, kind: now.kind });
      const table = now.table !== undefined ? ref(now.table) : undefined;
      if (table) changes.newIndexes.push({ index: { schema: now.schema, name: now.name }, table, unique: now.unique === true });
      continue;
    }
    const existing = ref(oid);
    if (!existing) continue;
    if (was.name !== now.name || was.schema !== now.schema) changes.renamed.push({ relation: existing, to: { schema: now.schema, name: now.name } });
    // Partitioned tables and views have no storage (relfilenode 0).
    if (was.filenode !== 0 && now.filenode !== 0 && was.filenode !== now.filenode) changes.rewritten.push({ relation: existing });
  }
  for (const oid of before.relations.keys()) {
    const existing = ref(oid);
    if (existing && !after.relations.has(oid)) changes.dropped.push(existing);
  }
  changes.columns = diffColumns(initial, before, after);
  changes.constraints = diffConstraints(initial, before, after);
  for (const [oid, type] of before.types) {
    if (initial.types.has(oid) && !after.types.has(oid)) changes.droppedTypes.push({ schema: type.schema, name: type.name, kind: type.kind });
  }
  for (const [oid, name] of before.schemas) {
    if (initial.schemas.has(oid) && !after.schemas.has(oid)) changes.droppedSchemas.push(name);
  }
  return changes;
}

/** A relation of the initial observation, by OID. */
export function relationRef(initial: Observation, oid: number): RelationRef | undefined {
  const relation = initial.relations.get(oid);
  return relation ? { schema: relation.schema, name: relation.name, kind: relation.kind } : undefined;
}

function diffColumns(initial: Observation, before: Observation, after: Observation): ColumnChange[] {
  const changes: ColumnChange[] = [];
  for (const [key, now] of after.columns) {
    const table = relationRef(initial, now.table);
    if (!table) continue;
    const was = before.columns.get(key);
    const name = initial.columns.get(key)?.name ?? was?.name ?? now.name;
    if (!was) {
      if (!now.dropped) changes.push({ kind: 'added', at: { table, column: now.name }, ...addedFacts(now) });
      continue;
    }
    // Columns the migration added itself are its own business, like the tables it creates.
    if (was.dropped || !initial.columns.has(key)) continue;
    const at = { table, column: name };
    if (now.dropped) {
      changes.push({ kind: 'dropped', at, type: was.type });
      continue;
    }
    if (was.name !== now.name) changes.push({ kind: 'renamed', at: { table, column: was.name }, to: now.name });
    if (was.typeId !== now.typeId) changes.push({ kind: 'type-changed', at, from: was.type, to: now.type });
    if (!was.notNull && now.notNull) changes.push({ kind: 'not-null-set', at, scan: !provenNotNull(before, now.table, was.name) });
    if (was.notNull && !now.notNull) changes.push({ kind: 'not-null-dropped', at });
  }
  return changes;
}

/** A valid CHECK (col IS NOT NULL) on the table: PostgreSQL 12+ sets NOT NULL without scanning. */
function provenNotNull(before: Observation, table: number, column: string): boolean {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // pg_get_constraintdef writes `CHECK ((email IS NOT NULL))`, quoting names that need it.
  const pattern = new RegExp(`^CHECK \\(\\((?:${escape(column)}|"${escape(column.replace(/"/g, '""'))}") IS NOT NULL\\)\\)$`);
  for (const constraint of before.constraints.values()) {
    if (constraint.table === table && constraint.type === 'check' && constraint.validated && pattern.test(constraint.definition)) return true;
  }
  return false;
}

function addedFacts(column: ObservedColumn) {
  return { type: column.type, notNull: column.notNull, hasDefault: column.hasDefault, identity: column.identity, generated: column.generated };
}

function diffConstraints(initial: Observation, before: Observation, after: Observation): ConstraintChange[] {
  const changes: ConstraintChange[] = [];
  for (const [oid, now] of after.constraints) {
    const fact = constraintFact(initial, now);
    if (!fact) continue;
    const was = before.constraints.get(oid);
    if (!was) {
      // A constraint whose index is new (not one the statement was given with USING INDEX) built that index.
      const index = now.index ? after.relations.get(now.index) : undefined;
      const builtIndex = index && !before.relations.has(now.index) ? { schema: index.schema, name: index.name, kind: index.kind } : undefined;
      changes.push({ kind: 'added', constraint: fact, ...(builtIndex ? { builtIndex } : {}) });
    } else if (!was.validated && now.validated) {
      changes.push({ kind: 'validated', constraint: fact });
    }
  }
  for (const [oid, was] of before.constraints) {
    if (!initial.constraints.has(oid) || after.constraints.has(oid)) continue;
    const fact = constraintFact(initial, was);
    if (fact) changes.push({ kind: 'dropped', constraint: fact });
  }
  return changes;
}

/** Constraints on pre-existing tables only (a foreign key from a new table to an old one is the new table's). */
function constraintFact(initial: Observation, constraint: ObservedConstraint): ConstraintFact | undefined {
  const table = relationRef(initial, constraint.table);
  if (!table) return undefined;
  const references = constraint.references ? relationRef(initial, constraint.references) : undefined;
  return {
    table,
    name: constraint.name,
    type: constraint.type,
    definition: constraint.definition,
    validated: constraint.validated,
    ...(references ? { references } : {}),
  };
}
