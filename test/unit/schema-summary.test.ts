import { describe, expect, it } from 'vitest';
import { objectKey, schemaModel, type SchemaObject, type SchemaObjectKind } from '../../src/schema/schema-model.js';
import { countOf, formatSchemaSummary, summarizeSchema } from '../../src/schema/summary.js';

function objects(kind: SchemaObjectKind, count: number): SchemaObject[] {
  return Array.from({ length: count }, (_, i) => ({ key: objectKey(kind, `public.${kind.replace(' ', '_')}${i}`), kind, name: `public.x${i}`, fields: {} }));
}

describe('schema summary', () => {
  it('counts per kind, tables first, kinds without objects left out', () => {
    const model = schemaModel([...objects('index', 39), ...objects('view', 3), ...objects('table', 42), ...objects('constraint', 51), ...objects('schema', 1)]);
    expect(summarizeSchema(model)).toEqual([
      { kind: 'table', count: 42 },
      { kind: 'index', count: 39 },
      { kind: 'constraint', count: 51 },
      { kind: 'view', count: 3 },
      { kind: 'schema', count: 1 },
    ]);
    expect(formatSchemaSummary(summarizeSchema(model))).toBe('42 tables, 39 indexes, 51 constraints, 3 views, 1 schema');
  });

  it('singular for one, the right plural for every kind', () => {
    expect(countOf(1, 'index')).toBe('1 index');
    expect(countOf(2, 'index')).toBe('2 indexes');
    expect(countOf(2, 'policy')).toBe('2 policies');
    expect(countOf(3, 'materialized view')).toBe('3 materialized views');
    expect(countOf(0, 'trigger')).toBe('0 triggers');
  });

  it('an empty model', () => {
    expect(summarizeSchema(schemaModel([]))).toEqual([]);
    expect(formatSchemaSummary([])).toBe('no objects');
  });
});
