import { describeObject } from './describe.js';
import { changedFields, compareObjects, objectKey, type SchemaModel, type SchemaObject, type SchemaObjectKind } from './schema-model.js';

/**
 * One difference between what the migrations produce (`expected`, the shadow) and what a database
 * has (`actual`). `expected`/`actual` are human text: for a missing or unexpected object what it
 * is (`text NOT NULL`), for a changed one the values of the fields that differ.
 */
export interface SchemaDifference {
  kind: 'missing' | 'unexpected' | 'changed';
  objectKind: SchemaObjectKind;
  /** Display name: `public.avatar_generations."projectId"`. */
  object: string;
  /** The object's key, to look up its owner (src/schema/attribution.ts) or match ignore patterns. */
  key: string;
  /** For a changed object: the fields that differ (`type`, or `type, default`). */
  field?: string;
  expected?: string;
  actual?: string;
}

/** What a field that is not set reads as in a difference. */
export const UNSET = '(none)';

/**
 * Compare two models, object by object: exactly one difference per object that is missing,
 * unexpected or changed, in a stable order (object kind, then name). An object whose table or
 * schema is itself missing (or unexpected) is not reported again: a missing table is one
 * difference, not one per column, index and constraint it had.
 */
export function diffSchemas(expected: SchemaModel, actual: SchemaModel): SchemaDifference[] {
  const differences: Array<SchemaDifference & { order: SchemaObject }> = [];
  for (const object of expected.objects.values()) {
    const other = actual.objects.get(object.key);
    if (!other) {
      if (!containerAlsoAbsent(object, actual)) differences.push({ ...base('missing', object), expected: describeObject(object, expected) || undefined });
      continue;
    }
    const changed = changedFields(object, other);
    if (changed.length > 0) differences.push({ ...base('changed', object), ...changeText(changed, object, other) });
  }
  for (const object of actual.objects.values()) {
    if (expected.objects.has(object.key) || containerAlsoAbsent(object, expected)) continue;
    differences.push({ ...base('unexpected', object), actual: describeObject(object, actual) || undefined });
  }
  return differences.sort((a, b) => compareObjects(a.order, b.order)).map(({ order: _order, ...difference }) => withoutUndefined(difference));
}

function base(kind: SchemaDifference['kind'], object: SchemaObject) {
  return { kind, objectKind: object.kind, object: object.name, key: object.key, order: object };
}

/** Whether the object's table or schema is absent from `other` too (then only the container is reported). */
function containerAlsoAbsent(object: SchemaObject, other: SchemaModel): boolean {
  if (object.table !== undefined && !other.objects.has(object.table)) return true;
  return object.schema !== undefined && !other.objects.has(objectKey('schema', object.schema));
}

/** One field: its two values. Several: `field: value; field: value` on each side. */
function changeText(fields: string[], expected: SchemaObject, actual: SchemaObject): { field: string; expected: string; actual: string } {
  const value = (object: SchemaObject, name: string) => object.fields[name] || UNSET;
  if (fields.length === 1) {
    const [name] = fields as [string];
    return { field: name, expected: value(expected, name), actual: value(actual, name) };
  }
  const side = (object: SchemaObject) => fields.map((name) => `${name}: ${value(object, name)}`).join('; ');
  return { field: fields.join(', '), expected: side(expected), actual: side(actual) };
}

function withoutUndefined(difference: SchemaDifference): SchemaDifference {
  return Object.fromEntries(Object.entries(difference).filter(([, v]) => v !== undefined)) as unknown as SchemaDifference;
}
