import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas, type SchemaDifference } from '../../src/schema/diff.js';
import { defaultExclusions } from '../../src/schema/exclusions.js';
import { introspectSchema } from '../../src/schema/introspect.js';
import type { SchemaModel } from '../../src/schema/schema-model.js';
import { adminUrl, createTestDatabase, urlFor, withClient } from '../helpers/database.js';
import { EVERY_KIND_SQL } from '../helpers/schema-fixture.js';

/**
 * Drift made by hand, one kind at a time, on a copy of a database built with every object kind:
 * the diff against the untouched model names exactly that object, once, with readable expected
 * and actual text. `drift` is a list of queries (CREATE INDEX CONCURRENTLY needs one of its own).
 */
interface DriftCase {
  name: string;
  drift: string[];
  differences: SchemaDifference[];
}

const CASES: DriftCase[] = [
  {
    name: 'a dropped index',
    drift: ['DROP INDEX app.users_created_idx'],
    differences: [
      {
        kind: 'missing',
        objectKind: 'index',
        object: 'app.users_created_idx',
        key: 'index app.users_created_idx',
        expected: 'CREATE INDEX users_created_idx ON app.users USING btree (created_at DESC)',
      },
    ],
  },
  {
    name: 'a changed default',
    drift: ['ALTER TABLE app.users ALTER COLUMN score SET DEFAULT 1'],
    differences: [changed('column', 'app.users.score', 'default', '0', '1')],
  },
  {
    name: 'an added column',
    drift: ["ALTER TABLE app.users ADD COLUMN nickname varchar(40) NOT NULL DEFAULT ''"],
    differences: [
      {
        kind: 'unexpected',
        objectKind: 'column',
        object: 'app.users.nickname',
        key: 'column app.users.nickname',
        actual: "character varying(40) NOT NULL DEFAULT ''::character varying",
      },
    ],
  },
  {
    name: 'a column type change',
    drift: ['ALTER TABLE app.users ALTER COLUMN created_at TYPE timestamp'],
    differences: [changed('column', 'app.users.created_at', 'type', 'timestamp with time zone', 'timestamp without time zone')],
  },
  {
    name: 'an enum recreated with its labels in another order',
    drift: [
      `
      DROP INDEX app.users_happy_idx;
      ALTER TABLE app.users ALTER COLUMN status DROP DEFAULT;
      ALTER TYPE app.mood RENAME TO mood_old;
      CREATE TYPE app.mood AS ENUM ('sad', 'happy', 'neutral');
      ALTER TABLE app.users ALTER COLUMN status TYPE app.mood USING status::text::app.mood;
      ALTER TABLE app.users ALTER COLUMN status SET DEFAULT 'neutral';
      DROP TYPE app.mood_old;
      CREATE INDEX users_happy_idx ON app.users (score) WHERE status = 'happy';`,
    ],
    differences: [changed('enum', 'app.mood', 'labels', "'happy', 'sad', 'neutral'", "'sad', 'happy', 'neutral'")],
  },
  {
    name: 'a replaced view',
    drift: ['CREATE OR REPLACE VIEW app.active_users AS SELECT id, email FROM app.users WHERE score > 10'],
    differences: [
      changed(
        'view',
        'app.active_users',
        'definition',
        'SELECT users.id, users.email FROM app.users WHERE (users.score > 0);',
        'SELECT users.id, users.email FROM app.users WHERE (users.score > 10);',
      ),
    ],
  },
  {
    name: 'row level security disabled',
    drift: ['ALTER TABLE app.users DISABLE ROW LEVEL SECURITY'],
    differences: [changed('table', 'app.users', 'row level security', 'enabled', 'disabled')],
  },
  {
    name: 'a dropped policy',
    drift: ['DROP POLICY own_rows ON app.users'],
    differences: [
      {
        kind: 'missing',
        objectKind: 'policy',
        object: 'app.users.own_rows',
        key: 'policy app.users.own_rows',
        expected: 'PERMISSIVE FOR SELECT TO public USING ((email)::text = (CURRENT_USER)::text)',
      },
    ],
  },
  {
    name: 'a constraint made NOT VALID',
    drift: ['ALTER TABLE app.users DROP CONSTRAINT users_score_check, ADD CONSTRAINT users_score_check CHECK (score >= 0) NOT VALID'],
    differences: [changed('constraint', 'app.users.users_score_check', 'validation', 'valid', 'NOT VALID')],
  },
  {
    name: 'an index left invalid by a failed CREATE INDEX CONCURRENTLY',
    drift: [
      `DROP INDEX app.users_display_lower_idx;
       INSERT INTO app.users (email, "displayName") VALUES ('a@x', 'Same'), ('b@x', 'same');`,
      'CREATE UNIQUE INDEX CONCURRENTLY users_display_lower_idx ON app.users (lower("displayName"))',
    ],
    differences: [changed('index', 'app.users_display_lower_idx', 'validity', 'valid', 'INVALID')],
  },
  {
    name: 'a changed function body',
    drift: [
      `CREATE OR REPLACE FUNCTION app.greet(who integer, greeting text DEFAULT 'hello') RETURNS text
      LANGUAGE sql STABLE AS $$ SELECT greeting || ', ' || who::text $$`,
    ],
    differences: [changed('function', 'app.greet(integer, text)', 'body', " SELECT greeting || ' ' || who::text ", " SELECT greeting || ', ' || who::text ")],
  },
  {
    name: 'a column collation',
    drift: ['ALTER TABLE app.users ALTER COLUMN "displayName" TYPE text COLLATE "default"'],
    differences: [changed('column', 'app.users."displayName"', 'collation', 'COLLATE "C"', '(none)')],
  },
  {
    name: 'a dropped trigger',
    drift: ['DROP TRIGGER users_touch ON app.users'],
    differences: [
      {
        kind: 'missing',
        objectKind: 'trigger',
        object: 'app.users.users_touch',
        key: 'trigger app.users.users_touch',
        expected: 'CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch()',
      },
    ],
  },
  {
    name: "a foreign key's ON DELETE",
    drift: [
      `ALTER TABLE app.avatar_generations DROP CONSTRAINT avatar_generations_user_id_fkey,
      ADD CONSTRAINT avatar_generations_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED`,
    ],
    differences: [
      changed(
        'constraint',
        'app.avatar_generations.avatar_generations_user_id_fkey',
        'definition',
        'FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED',
        'FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED',
      ),
    ],
  },
  {
    name: "a sequence's increment",
    drift: ['ALTER SEQUENCE app.invoice_numbers INCREMENT 10'],
    differences: [changed('sequence', 'app.invoice_numbers', 'increment', '5', '10')],
  },
  {
    name: "an extension's version",
    drift: ["ALTER EXTENSION citext UPDATE TO '1.6'"],
    differences: [changed('extension', 'citext', 'version', '1.4', '1.6')],
  },
  {
    name: "a domain's check",
    drift: ["ALTER DOMAIN app.email DROP CONSTRAINT email_check; ALTER DOMAIN app.email ADD CONSTRAINT email_check CHECK (VALUE LIKE '%@%.%')"],
    differences: [
      changed(
        'domain',
        'app.email',
        'constraints',
        "CONSTRAINT email_check CHECK ((VALUE OPERATOR(public.~~) '%@%'::public.citext))",
        "CONSTRAINT email_check CHECK ((VALUE OPERATOR(public.~~) '%@%.%'::public.citext))",
      ),
    ],
  },
  {
    name: 'a whole table missing: the table once, not what it owned',
    drift: ['DROP TABLE app.avatar_generations'],
    differences: [
      {
        kind: 'missing',
        objectKind: 'table',
        object: 'app.avatar_generations',
        key: 'table app.avatar_generations',
        expected: '4 columns, 3 constraints, 1 sequence',
      },
    ],
  },
  {
    name: 'an unexpected table: the table once',
    drift: ['CREATE TABLE app.extra (id int PRIMARY KEY, note text)'],
    differences: [{ kind: 'unexpected', objectKind: 'table', object: 'app.extra', key: 'table app.extra', actual: '2 columns, 1 constraint' }],
  },
  {
    name: 'a whole schema missing: the schema once',
    drift: ['DROP SCHEMA app CASCADE'],
    differences: [{ kind: 'missing', objectKind: 'schema', object: 'app', key: 'schema app' }],
  },
  {
    name: 'several at once, ordered by kind then name, several fields of one object in one difference',
    drift: [
      `DROP INDEX app.users_created_idx;
      ALTER TABLE app.users ALTER COLUMN score SET DEFAULT 1, ALTER COLUMN score DROP NOT NULL;
      ALTER TABLE app.users ADD COLUMN nickname text;
      ALTER TABLE app.users DISABLE ROW LEVEL SECURITY`,
    ],
    differences: [
      changed('table', 'app.users', 'row level security', 'enabled', 'disabled'),
      { kind: 'unexpected', objectKind: 'column', object: 'app.users.nickname', key: 'column app.users.nickname', actual: 'text' },
      changed('column', 'app.users.score', 'nullability, default', 'nullability: NOT NULL; default: 0', 'nullability: NULL; default: 1'),
      {
        kind: 'missing',
        objectKind: 'index',
        object: 'app.users_created_idx',
        key: 'index app.users_created_idx',
        expected: 'CREATE INDEX users_created_idx ON app.users USING btree (created_at DESC)',
      },
    ],
  },
];

function changed(objectKind: SchemaDifference['objectKind'], object: string, field: string, expected: string, actual: string): SchemaDifference {
  return { kind: 'changed', objectKind, object, key: `${objectKind} ${object}`, field, expected, actual };
}

const exclude = defaultExclusions();

describe('drift of every object kind, made by hand, named exactly once', () => {
  let template: Awaited<ReturnType<typeof createTestDatabase>>;
  let expected: SchemaModel;

  beforeAll(async () => {
    template = await createTestDatabase('pm_drift');
    await withClient(template.url, (c) => c.query(EVERY_KIND_SQL));
    expected = await withClient(template.url, (c) => introspectSchema(c, { exclude }));
  });
  afterAll(() => template?.drop());

  it.each(CASES)('$name', async ({ drift, differences }) => {
    const copy = `${template.name}_${randomBytes(3).toString('hex')}`;
    await withClient(adminUrl(), (c) => c.query(`CREATE DATABASE "${copy}" TEMPLATE "${template.name}"`));
    try {
      const actual = await withClient(urlFor(copy), async (c) => {
        for (const sql of drift)
          await c.query(sql).catch((error: Error) => {
            // Only the failed CREATE INDEX CONCURRENTLY is meant to fail (it leaves its index invalid).
            if (!/could not create unique index/.test(error.message)) throw error;
          });
        return introspectSchema(c, { exclude });
      });
      expect(diffSchemas(expected, actual)).toEqual(differences);
      // And the other way round: what is missing one way is unexpected the other.
      expect(diffSchemas(actual, expected).map((d) => `${d.kind} ${d.key}`)).toEqual(
        differences.map((d) => `${d.kind === 'missing' ? 'unexpected' : d.kind === 'unexpected' ? 'missing' : 'changed'} ${d.key}`),
      );
    } finally {
      await withClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`));
    }
  });
});
