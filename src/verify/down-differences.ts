import type { CheckDifference } from '../operations/check-report.js';
import { diffSchemas } from '../schema/diff.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { holdsHistory } from './history-exclusions.js';
import { objectKey, type SchemaModel } from '../schema/schema-model.js';

/**
 * What a down leaves different from the schema right before its migration ran (`before` is the
 * expected side). One thing is not the down's business: the schema an engine made for its own
 * history table on its first run (drizzle's `drizzle` schema) is still there after the down, and
 * empty once the history table is left out; it is not reported.
 */
export function downDifferences(before: SchemaModel, after: SchemaModel, exclude: SchemaExclusions): CheckDifference[] {
  return diffSchemas(before, after)
    .filter((d) => !(d.objectKind === 'schema' && holdsHistory(exclude.tables, d.object) && isEmptySchema(d.object, d.kind === 'unexpected' ? after : before)))
    .map(({ key: _key, ...difference }) => difference);
}

function isEmptySchema(name: string, model: SchemaModel): boolean {
  const key = objectKey('schema', name);
  for (const object of model.objects.values()) {
    if (object.key !== key && object.schema === name) return false;
  }
  return true;
}
