import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas } from '../../src/schema/diff.js';
import { defaultExclusions } from '../../src/schema/exclusions.js';
import { introspectSchema } from '../../src/schema/introspect.js';
import { SCHEMA_OBJECT_KINDS, type SchemaModel } from '../../src/schema/schema-model.js';
import { createTestDatabase, withClient } from '../helpers/database.js';
import { EVERY_KIND_SQL } from '../helpers/schema-fixture.js';

const exclude = defaultExclusions();
const introspect = (url: string, only?: Parameters<typeof introspectSchema>[1]['only']) => withClient(url, (c) => introspectSchema(c, { exclude, ...(only ? { only } : {}) }));
const fields = (model: SchemaModel, key: string) => model.objects.get(key)?.fields;

describe('introspection of a schema with every object kind', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let model: SchemaModel;

  beforeAll(async () => {
    db = await createTestDatabase('pm_schema');
    await withClient(db.url, (c) => c.query(EVERY_KIND_SQL));
    model = await introspect(db.url);
  });
  afterAll(() => db?.drop());

  it('finds an object of every kind, keyed by name', () => {
    const kinds = new Set([...model.objects.values()].map((o) => o.kind));
    expect([...SCHEMA_OBJECT_KINDS].filter((k) => !kinds.has(k))).toEqual([]);
    expect([...model.objects.keys()]).toEqual(
      expect.arrayContaining([
        'schema app',
        'extension citext',
        'enum app.mood',
        'domain app.email',
        'sequence app.invoice_numbers',
        'table app.users',
        'column app.users.email',
        'column app.avatar_generations."projectId"',
        'constraint app.users.users_pkey',
        'index app.users_created_idx',
        'view app.active_users',
        'materialized view app.user_counts',
        'function app.greet(integer, text)',
        'procedure app.bump(integer)',
        'trigger app.users.users_touch',
        'policy app.users.own_rows',
      ]),
    );
  });

  it('quotes a name only where PostgreSQL needs it and says which table owns what', () => {
    const column = model.objects.get('column app.avatar_generations."projectId"')!;
    expect(column.name).toBe('app.avatar_generations."projectId"');
    expect(column.table).toBe('table app.avatar_generations');
    expect(column.schema).toBe('app');
    expect(model.objects.get('index app.user_counts_score_idx')!.table).toBe('materialized view app.user_counts');
    expect(model.objects.get('sequence app.avatar_generations_id_seq')!.table).toBe('table app.avatar_generations');
  });

  it('reads the compared fields as PostgreSQL prints them', () => {
    expect(fields(model, 'column app.users.status')).toMatchObject({ type: 'app.mood', nullability: 'NOT NULL', default: "'neutral'::app.mood" });
    expect(fields(model, 'column app.users.id')).toMatchObject({ identity: 'GENERATED ALWAYS AS IDENTITY', default: '' });
    expect(fields(model, 'column app.users.score_doubled')).toMatchObject({ generated: 'GENERATED ALWAYS AS ((score * 2)) STORED' });
    expect(fields(model, 'column app.users."displayName"')).toMatchObject({ collation: 'COLLATE "C"' });
    expect(fields(model, 'constraint app.avatar_generations.avatar_generations_user_id_fkey')).toEqual({
      definition: 'FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED',
      validation: 'valid',
    });
    expect(fields(model, 'constraint app.avatar_generations.avatar_no_overlap')!.definition).toBe('EXCLUDE USING gist ("projectId" WITH =, during WITH &&)');
    expect(fields(model, 'index app.users_happy_idx')).toEqual({
      definition: "CREATE INDEX users_happy_idx ON app.users USING btree (score) WHERE (status = 'happy'::app.mood)",
      validity: 'valid',
    });
    expect(fields(model, 'enum app.mood')).toEqual({ labels: "'happy', 'sad', 'neutral'" });
    expect(fields(model, 'domain app.email')!.constraints).toMatch(/^CONSTRAINT email_check CHECK/);
    expect(fields(model, 'sequence app.invoice_numbers')).toMatchObject({ start: '1000', increment: '5', type: 'bigint' });
    expect(fields(model, 'view app.active_users')!.definition).toBe('SELECT users.id, users.email FROM app.users WHERE (users.score > 0);');
    expect(fields(model, 'function app.greet(integer, text)')).toMatchObject({
      arguments: "who integer, greeting text DEFAULT 'hello'::text",
      returns: 'text',
      language: 'sql',
      attributes: 'STABLE',
    });
    expect(fields(model, 'table app.users')!['row level security']).toBe('enabled');
    expect(fields(model, 'policy app.users.own_rows')).toMatchObject({ command: 'SELECT', mode: 'PERMISSIVE', roles: 'public' });
    expect(fields(model, 'extension citext')).toEqual({ version: '1.4', schema: 'public' });
  });

  it("leaves out history tables, the journal, Supabase's history schema and what extensions own", () => {
    const keys = [...model.objects.keys()];
    expect(keys.filter((k) => /_prisma_migrations|__drizzle_migrations|payload_migrations|polymigrate|supabase_migrations/.test(k))).toEqual([]);
    // citext's type and functions belong to the extension: only the extension is compared.
    expect(keys.filter((k) => /citext|gbtreekey|gist_/.test(k) && !k.startsWith('extension '))).toEqual([]);
    expect(keys.some((k) => k.startsWith('schema pg_') || k === 'schema information_schema')).toBe(false);
  });

  it('introspected twice: no differences', async () => {
    expect(diffSchemas(model, await introspect(db.url))).toEqual([]);
  });

  it('the same migrations on another database (other OIDs, other spelling) give the same model', async () => {
    const other = await createTestDatabase('pm_schema');
    try {
      // Objects created and dropped first move every OID of the copy.
      await withClient(other.url, async (c) => {
        await c.query("CREATE TABLE filler (a int); CREATE TYPE filler_t AS ENUM ('x'); DROP TABLE filler; DROP TYPE filler_t;");
        await c.query(respelled(EVERY_KIND_SQL));
      });
      expect(diffSchemas(model, await introspect(other.url))).toEqual([]);
    } finally {
      await other.drop();
    }
  });

  it('narrowed to a scope: a relation with what it owns, a function, a type', async () => {
    const scoped = await introspect(db.url, { relations: ['app.avatar_generations'], functions: ['app.greet(integer, text)'], types: ['app.mood'] });
    expect([...scoped.objects.keys()].sort()).toEqual([
      'column app.avatar_generations."projectId"',
      'column app.avatar_generations.during',
      'column app.avatar_generations.id',
      'column app.avatar_generations.user_id',
      'constraint app.avatar_generations.avatar_generations_pkey',
      'constraint app.avatar_generations.avatar_generations_user_id_fkey',
      'constraint app.avatar_generations.avatar_no_overlap',
      'enum app.mood',
      'function app.greet(integer, text)',
      'sequence app.avatar_generations_id_seq',
      'table app.avatar_generations',
    ]);
    for (const [key, object] of scoped.objects) expect(object).toEqual(model.objects.get(key));
    expect((await introspect(db.url, {})).objects.size).toBe(0);
  });

  it('other exclusions: a schema and a table named by the caller', async () => {
    const narrowed = await withClient(db.url, (c) =>
      introspectSchema(c, {
        exclude: { schemas: [...exclude.schemas, 'drizzle'], tables: [...exclude.tables, { schema: 'app', name: 'avatar_generations' }] },
      }),
    );
    const keys = [...narrowed.objects.keys()];
    expect(keys.filter((k) => k.includes('avatar_generations') || k === 'schema drizzle')).toEqual([]);
    expect(keys).toContain('table app.users');
  });
});

/**
 * The fixture as someone else would have written it: keywords in upper case, other spacing,
 * redundant casts and parentheses. PostgreSQL prints all of it back the same way.
 */
function respelled(sql: string): string {
  const rewrites: Array<[string, string]> = [
    ['CHECK (score >= 0)', 'CHECK ((score)>=0)'],
    ["DEFAULT 'neutral'", "DEFAULT ('neutral'::app.mood)"],
    ['WHERE score > 0', 'WHERE   (score > 0)'],
    ['ON app.users (created_at DESC)', 'ON app.users USING btree (created_at desc)'],
    ["WHERE status = 'happy'", "where (status = 'happy'::app.mood)"],
    ['timestamptz NOT NULL DEFAULT now()', 'timestamp with time zone not null default now()'],
  ];
  for (const [from, to] of rewrites) {
    if (!sql.includes(from)) throw new Error(`the fixture no longer contains ${from}`);
    sql = sql.replace(from, to);
  }
  return sql;
}
