import { describe, expect, it } from 'vitest';
import { diffSchemas } from '../../src/schema/diff.js';
import { schemaModel, type SchemaObject } from '../../src/schema/schema-model.js';

const schema = (name: string): SchemaObject => ({ key: `schema ${name}`, kind: 'schema', name, fields: {} });
const table = (name: string, fields: Record<string, string> = {}): SchemaObject => ({
  key: `table ${name}`,
  kind: 'table',
  name,
  schema: name.split('.')[0],
  fields: { 'row level security': 'disabled', ...fields },
});
const column = (name: string, type: string, extra: Record<string, string> = {}): SchemaObject => ({
  key: `column ${name}`,
  kind: 'column',
  name,
  schema: name.split('.')[0],
  table: `table ${name.split('.').slice(0, 2).join('.')}`,
  fields: { type, nullability: 'NULL', default: '', identity: '', generated: '', collation: '', ...extra },
});
const index = (name: string, owner: string, definition: string): SchemaObject => ({
  key: `index ${name}`,
  kind: 'index',
  name,
  schema: name.split('.')[0],
  table: `table ${owner}`,
  fields: { definition, validity: 'valid' },
});

describe('diffSchemas (pure)', () => {
  const expected = schemaModel([
    schema('public'),
    table('public.users'),
    column('public.users.id', 'integer', { nullability: 'NOT NULL' }),
    column('public.users.email', 'text'),
    index('public.users_email_idx', 'public.users', 'CREATE INDEX users_email_idx ON public.users USING btree (email)'),
  ]);

  it('equal models: nothing', () => {
    expect(diffSchemas(expected, expected)).toEqual([]);
  });

  it('a missing column reads as what the migrations create', () => {
    const actual = schemaModel([...expected.objects.values()].filter((o) => o.key !== 'column public.users.id'));
    expect(diffSchemas(expected, actual)).toEqual([{ kind: 'missing', objectKind: 'column', object: 'public.users.id', key: 'column public.users.id', expected: 'integer NOT NULL' }]);
  });

  it('a missing table: reported once, with what it held', () => {
    expect(diffSchemas(expected, schemaModel([schema('public')]))).toEqual([
      { kind: 'missing', objectKind: 'table', object: 'public.users', key: 'table public.users', expected: '2 columns, 1 index' },
    ]);
  });

  it('an unexpected schema: reported once', () => {
    const actual = schemaModel([...expected.objects.values(), schema('auth'), table('auth.users'), column('auth.users.id', 'uuid')]);
    expect(diffSchemas(expected, actual)).toEqual([{ kind: 'unexpected', objectKind: 'schema', object: 'auth', key: 'schema auth' }]);
  });

  it('an unset field reads "(none)"; a field one side lacks counts as unset', () => {
    const withDefault = schemaModel([...expected.objects.values()].map((o) => (o.key === 'column public.users.email' ? column('public.users.email', 'text', { default: "''::text" }) : o)));
    expect(diffSchemas(expected, withDefault)).toEqual([
      {
        kind: 'changed',
        objectKind: 'column',
        object: 'public.users.email',
        key: 'column public.users.email',
        field: 'default',
        expected: '(none)',
        actual: "''::text",
      },
    ]);
    const extraField = schemaModel([...expected.objects.values()].map((o) => (o.key === 'table public.users' ? table('public.users', { persistence: '' }) : o)));
    expect(diffSchemas(expected, extraField)).toEqual([]);
  });

  it('order: by kind (schema, …, table, column, constraint, index, …), then name', () => {
    const actual = schemaModel([
      schema('public'),
      schema('zeta'),
      table('public.users', { 'row level security': 'enabled' }),
      column('public.users.email', 'varchar'),
      column('public.users.id', 'bigint', { nullability: 'NOT NULL' }),
    ]);
    expect(diffSchemas(expected, actual).map((d) => `${d.kind} ${d.key}`)).toEqual([
      'unexpected schema zeta',
      'changed table public.users',
      'changed column public.users.email',
      'changed column public.users.id',
      'missing index public.users_email_idx',
    ]);
  });
});
