/**
 * A schema with every object kind the schema model holds (src/schema/schema-model.ts), for the
 * introspection, diff and attribution tests: a schema, extensions (citext at an old version, so a
 * test can update it; btree_gist for an exclusion constraint), an enum, a domain with a check, a
 * standalone sequence, tables with identity, serial, generated, collated and defaulted columns,
 * every kind of constraint (a deferrable FK with ON DELETE, unique, check, exclusion), plain,
 * partial and unique indexes, a view, a materialized view, a function, a procedure, a trigger,
 * RLS with a policy — and the tables polymigrate and the engines keep their history in, which
 * introspection leaves out.
 */
export const EVERY_KIND_SQL = `
CREATE SCHEMA app;
CREATE EXTENSION citext VERSION '1.4';
CREATE EXTENSION btree_gist;
CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'neutral');
CREATE DOMAIN app.email AS citext CHECK (VALUE LIKE '%@%');
CREATE SEQUENCE app.invoice_numbers START 1000 INCREMENT 5;

CREATE TABLE app.users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email app.email NOT NULL,
  "displayName" text COLLATE "C",
  status app.mood NOT NULL DEFAULT 'neutral',
  score integer NOT NULL DEFAULT 0 CHECK (score >= 0),
  score_doubled integer GENERATED ALWAYS AS (score * 2) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_created_idx ON app.users (created_at DESC);
CREATE UNIQUE INDEX users_display_lower_idx ON app.users (lower("displayName"));
CREATE INDEX users_happy_idx ON app.users (score) WHERE status = 'happy';

CREATE TABLE app.avatar_generations (
  id serial PRIMARY KEY,
  "projectId" text NOT NULL,
  user_id bigint REFERENCES app.users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  during tstzrange NOT NULL,
  CONSTRAINT avatar_no_overlap EXCLUDE USING gist ("projectId" WITH =, during WITH &&)
);

CREATE VIEW app.active_users AS SELECT id, email FROM app.users WHERE score > 0;
CREATE MATERIALIZED VIEW app.user_counts AS SELECT score, count(*) AS n FROM app.users GROUP BY score;
CREATE INDEX user_counts_score_idx ON app.user_counts (score);

CREATE FUNCTION app.greet(who integer, greeting text DEFAULT 'hello') RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT greeting || ' ' || who::text $$;
CREATE PROCEDURE app.bump(amount integer) LANGUAGE plpgsql AS $$ BEGIN UPDATE app.users SET score = score + amount; END $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.score := NEW.score; RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.users FOR SELECT USING (email = current_user::text);

-- History tables and polymigrate's own schema: never part of the model.
CREATE TABLE public._prisma_migrations (id varchar(36) PRIMARY KEY, migration_name varchar(255) NOT NULL);
CREATE SCHEMA drizzle;
CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);
CREATE TABLE public.payload_migrations (id serial PRIMARY KEY, name varchar, batch numeric);
CREATE SCHEMA polymigrate;
CREATE TABLE polymigrate.runs (id bigserial PRIMARY KEY);
CREATE SCHEMA supabase_migrations;
CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY);
`;
