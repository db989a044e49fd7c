/**
 * Every rule's cases against the same fixture (tables with rows, an index, an enum): a migration
 * where it fires, and a near miss — the safer way its documentation recommends, or the same
 * statement where it cannot hurt — where it must not. Shared by rules.test.ts (each rule fires and
 * stays quiet) and scoped-observation.test.ts (the scoped catalog reading sees what the full one sees).
 */
export interface Case {
  statements: string[];
  /** Default: one transaction. */
  transactional?: boolean;
  setup?: string;
}

export interface RuleCases {
  fires: Case | Case[];
  nearMiss: Case | Case[];
}

export const FIXTURE = `
  DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA IF EXISTS old CASCADE; DROP SCHEMA IF EXISTS tmp2 CASCADE;
  CREATE SCHEMA app;
  CREATE TABLE app.users (id bigint PRIMARY KEY, email text, name varchar(100), age int, bio text);
  CREATE TABLE app.events (id bigint PRIMARY KEY, user_id bigint, kind text, amount int, at timestamptz, note text);
  INSERT INTO app.users SELECT g, 'u' || g, 'n', 30, NULL FROM generate_series(1, 100) g;
  INSERT INTO app.events SELECT g, (g % 100) + 1, 'k', g, now(), NULL FROM generate_series(1, 500) g;
  CREATE INDEX events_kind ON app.events (kind);
  CREATE TYPE app.mood AS ENUM ('sad', 'happy');
  CREATE TABLE app.empty (id int);`;

const tx = (...statements: string[]): Case => ({ statements });
const noTx = (...statements: string[]): Case => ({ statements, transactional: false });

export const CASES: Record<string, RuleCases> = {
  PM101: {
    fires: tx('CREATE INDEX events_amount ON app.events (amount)'),
    nearMiss: [noTx('CREATE INDEX CONCURRENTLY events_amount ON app.events (amount)'), tx('CREATE TABLE app.fresh (id int)', 'CREATE INDEX fresh_id ON app.fresh (id)')],
  },
  PM102: { fires: tx('DROP INDEX app.events_kind'), nearMiss: noTx('DROP INDEX CONCURRENTLY app.events_kind') },
  PM103: { fires: tx('REINDEX INDEX app.events_kind'), nearMiss: noTx('REINDEX INDEX CONCURRENTLY app.events_kind') },
  PM104: { fires: tx('CREATE INDEX CONCURRENTLY events_amount ON app.events (amount)'), nearMiss: noTx('CREATE INDEX CONCURRENTLY events_amount ON app.events (amount)') },
  PM201: {
    fires: [
      tx('ALTER TABLE app.events ADD CONSTRAINT amount_positive CHECK (amount > 0)'),
      tx('ALTER TABLE app.events ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES app.users (id)'),
      // NOT VALID, but validated in the same transaction: the scan runs under the ADD's ACCESS EXCLUSIVE.
      tx('ALTER TABLE app.events ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID', 'ALTER TABLE app.events VALIDATE CONSTRAINT amount_positive'),
    ],
    nearMiss: noTx('ALTER TABLE app.events ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID', 'ALTER TABLE app.events VALIDATE CONSTRAINT amount_positive'),
  },
  PM202: {
    fires: tx('ALTER TABLE app.users ADD CONSTRAINT users_email UNIQUE (email)'),
    nearMiss: noTx('CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON app.users (email)', 'ALTER TABLE app.users ADD CONSTRAINT users_email UNIQUE USING INDEX users_email_idx'),
  },
  PM203: {
    fires: tx('ALTER TABLE app.events ADD CONSTRAINT no_twins EXCLUDE USING btree (id WITH =)'),
    nearMiss: tx('CREATE TABLE app.slots (id int)', 'ALTER TABLE app.slots ADD CONSTRAINT no_twins EXCLUDE USING btree (id WITH =)'),
  },
  PM204: {
    fires: { setup: "CREATE TABLE app.logs (id bigint NOT NULL, msg text); INSERT INTO app.logs VALUES (1, 'a')", statements: ['ALTER TABLE app.logs ADD PRIMARY KEY (id)'] },
    nearMiss: {
      setup: "CREATE TABLE app.logs (id bigint NOT NULL, msg text); INSERT INTO app.logs VALUES (1, 'a')",
      transactional: false,
      statements: ['CREATE UNIQUE INDEX CONCURRENTLY logs_id ON app.logs (id)', 'ALTER TABLE app.logs ADD CONSTRAINT logs_pkey PRIMARY KEY USING INDEX logs_id'],
    },
  },
  PM205: {
    fires: tx('ALTER TABLE app.events ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID'),
    nearMiss: tx('CREATE INDEX events_user_id ON app.events (user_id)', 'ALTER TABLE app.events ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID'),
  },
  PM206: { fires: tx('CREATE DOMAIN app.positive AS int CHECK (VALUE > 0)'), nearMiss: tx('CREATE DOMAIN app.positive AS int') },
  PM301: {
    fires: tx('ALTER TABLE app.events ADD COLUMN x int'),
    nearMiss: tx("SET LOCAL lock_timeout = '2s'", 'ALTER TABLE app.events ADD COLUMN x int'),
  },
  PM302: {
    fires: tx('ALTER TABLE app.events ADD COLUMN x int', 'UPDATE app.users SET age = 31 WHERE id = 1'),
    nearMiss: noTx('ALTER TABLE app.events ADD COLUMN x int', 'UPDATE app.users SET age = 31 WHERE id = 1'),
  },
  PM303: { fires: tx('CLUSTER app.events USING events_pkey'), nearMiss: tx('ALTER TABLE app.events SET (fillfactor = 70)') },
  PM304: {
    fires: {
      setup: "CREATE TABLE app.p (id int, at date) PARTITION BY RANGE (at); CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
      statements: ['ALTER TABLE app.p DETACH PARTITION app.p1'],
    },
    nearMiss: {
      setup: "CREATE TABLE app.p (id int, at date) PARTITION BY RANGE (at); CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
      statements: ['ALTER TABLE app.p DETACH PARTITION app.p1 CONCURRENTLY'],
      transactional: false,
    },
  },
  PM305: {
    fires: tx('ALTER TABLE app.events ADD COLUMN a int', 'ALTER TABLE app.events ADD COLUMN b int'),
    nearMiss: tx('ALTER TABLE app.events ADD COLUMN a int, ADD COLUMN b int'),
  },
  PM401: {
    fires: tx('ALTER TABLE app.events ALTER COLUMN kind SET NOT NULL'),
    nearMiss: noTx(
      'ALTER TABLE app.events ADD CONSTRAINT kind_not_null CHECK (kind IS NOT NULL) NOT VALID',
      'ALTER TABLE app.events VALIDATE CONSTRAINT kind_not_null',
      'ALTER TABLE app.events ALTER COLUMN kind SET NOT NULL',
    ),
  },
  PM402: { fires: tx('ALTER TABLE app.events ALTER COLUMN amount TYPE bigint'), nearMiss: tx('ALTER TABLE app.users ALTER COLUMN name TYPE varchar(200)') },
  PM403: {
    fires: [tx('ALTER TABLE app.events ADD COLUMN token uuid DEFAULT gen_random_uuid()'), tx('ALTER TABLE app.events ADD COLUMN seq serial')],
    nearMiss: tx('ALTER TABLE app.events ADD COLUMN flag boolean NOT NULL DEFAULT false'),
  },
  PM404: {
    // On an empty table the statement succeeds (observed); on one with rows it fails, and the SQL says why.
    fires: [tx('ALTER TABLE app.empty ADD COLUMN plan text NOT NULL'), tx('ALTER TABLE app.users ADD COLUMN plan text NOT NULL')],
    nearMiss: tx('ALTER TABLE app.users ADD COLUMN plan text', "UPDATE app.users SET plan = 'free' WHERE plan IS NULL"),
  },
  PM405: {
    fires: { setup: 'ALTER TABLE app.users ALTER COLUMN email SET NOT NULL', statements: ['ALTER TABLE app.users ALTER COLUMN email DROP NOT NULL'] },
    nearMiss: tx("ALTER TABLE app.users ALTER COLUMN email SET DEFAULT ''"),
  },
  PM406: { fires: tx('ALTER TABLE app.events ADD COLUMN meta json'), nearMiss: tx('ALTER TABLE app.events ADD COLUMN meta jsonb') },
  PM501: { fires: tx('DROP TABLE app.events'), nearMiss: tx('CREATE TABLE app.scratch (id int)', 'DROP TABLE app.scratch') },
  PM502: {
    fires: tx('ALTER TABLE app.events DROP COLUMN note'),
    nearMiss: tx('ALTER TABLE app.events ADD COLUMN tmp int', 'ALTER TABLE app.events DROP COLUMN tmp'),
  },
  PM503: { fires: tx('DROP TYPE app.mood'), nearMiss: tx("CREATE TYPE app.tmp AS ENUM ('a')", 'DROP TYPE app.tmp') },
  PM504: {
    fires: { setup: 'CREATE SCHEMA old; CREATE TABLE old.t (id int)', statements: ['DROP SCHEMA old CASCADE'] },
    nearMiss: tx('CREATE SCHEMA tmp2', 'DROP SCHEMA tmp2'),
  },
  PM505: { fires: noTx('DROP DATABASE IF EXISTS pm_never_created'), nearMiss: tx('DROP TABLE IF EXISTS app.never_created') },
  PM506: { fires: tx('TRUNCATE app.events'), nearMiss: tx('DELETE FROM app.events WHERE id < 10') },
  PM507: {
    fires: [tx("UPDATE app.events SET note = 'x'"), tx('DELETE FROM app.events')],
    nearMiss: tx("UPDATE app.events SET note = 'x' WHERE id = 1"),
  },
  PM508: { fires: tx('ALTER TABLE app.users ALTER COLUMN name TYPE varchar(10)'), nearMiss: tx('ALTER TABLE app.users ALTER COLUMN name TYPE varchar(200)') },
  PM601: { fires: tx('ALTER TABLE app.users RENAME TO accounts'), nearMiss: tx('ALTER INDEX app.events_kind RENAME TO events_kind_idx') },
  PM602: {
    fires: tx('ALTER TABLE app.users RENAME COLUMN bio TO about'),
    nearMiss: tx('ALTER TABLE app.users ADD COLUMN tmp int', 'ALTER TABLE app.users RENAME COLUMN tmp TO tmp2'),
  },
  PM701: { fires: noTx('BEGIN', 'CREATE TABLE app.z (id int)'), nearMiss: noTx('BEGIN', 'CREATE TABLE app.z (id int)', 'COMMIT') },
  PM702: {
    fires: noTx('BEGIN', 'CREATE TABLE app.a (id int)', 'COMMIT', 'CREATE TABLE app.b (id int)'),
    nearMiss: tx('BEGIN', 'CREATE TABLE app.a (id int)', 'CREATE TABLE app.b (id int)', 'COMMIT'),
  },
  PM703: {
    fires: noTx('CREATE TABLE app.r1 (id bigint)', 'CREATE INDEX CONCURRENTLY r1_id ON app.r1 (id)'),
    nearMiss: noTx('CREATE TABLE IF NOT EXISTS app.r1 (id bigint)', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS r1_id ON app.r1 (id)'),
  },
  PM801: { fires: tx('CREATE TABLE app.c (id int)'), nearMiss: tx('CREATE TABLE app.c (id bigint)') },
  PM802: { fires: tx('CREATE TABLE app.c (id bigserial)'), nearMiss: tx('CREATE TABLE app.c (id bigint GENERATED ALWAYS AS IDENTITY)') },
  PM803: { fires: tx('CREATE TABLE app.c (at timestamp)'), nearMiss: tx('CREATE TABLE app.c (at timestamptz)') },
  PM804: { fires: tx('CREATE TABLE app.c (code varchar(20))'), nearMiss: tx('CREATE TABLE app.c (code text)') },
  PM805: { fires: tx('CREATE TABLE app.c (code char(2))'), nearMiss: tx('CREATE TABLE app.c (code text)') },
  PM806: { fires: tx("ALTER TYPE app.mood ADD VALUE 'meh'"), nearMiss: tx("ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'happy'") },
  PM807: { fires: tx("CREATE TYPE app.color AS ENUM ('red')"), nearMiss: tx('CREATE TABLE app.colors (name text PRIMARY KEY)') },
  PM808: { fires: tx(`CREATE TABLE app.${'t'.repeat(70)} (id bigint)`), nearMiss: tx(`CREATE TABLE app.${'t'.repeat(60)} (id bigint)`) },
};
