import { describe, expect, it } from 'vitest';
import { defaultExclusions } from '../../src/schema/exclusions.js';
import { schemaModel, type SchemaObject } from '../../src/schema/schema-model.js';
import { downDifferences } from '../../src/verify/down-differences.js';

const schema = (name: string): SchemaObject => ({ key: `schema ${name}`, kind: 'schema', name, fields: {} });
const table = (name: string): SchemaObject => ({ key: `table ${name}`, kind: 'table', name, schema: name.split('.')[0], fields: { 'row level security': 'disabled' } });

describe('downDifferences (pure)', () => {
  const exclude = defaultExclusions();
  const before = schemaModel([schema('public'), table('public.users')]);

  it('an object the down leaves behind is unexpected, without the key used for lookups', () => {
    const after = schemaModel([...before.objects.values(), table('public.left_over')]);
    expect(downDifferences(before, after, exclude)).toEqual([{ kind: 'unexpected', objectKind: 'table', object: 'public.left_over' }]);
  });

  it("the schema an engine made for its history table (drizzle) is not the down's business while it is empty", () => {
    const after = schemaModel([...before.objects.values(), schema('drizzle')]);
    expect(downDifferences(before, after, exclude)).toEqual([]);
  });

  it('that schema is reported when the down leaves an object of the migration in it', () => {
    const after = schemaModel([...before.objects.values(), schema('drizzle'), table('drizzle.cache')]);
    expect(downDifferences(before, after, exclude)).toEqual([{ kind: 'unexpected', objectKind: 'schema', object: 'drizzle' }]);
  });

  it('any other new schema, empty or not, is something the down forgets', () => {
    const after = schemaModel([...before.objects.values(), schema('app')]);
    expect(downDifferences(before, after, exclude)).toEqual([{ kind: 'unexpected', objectKind: 'schema', object: 'app' }]);
  });
});
