// A schema of the size the issue names ("a 100-table schema"), shaped like a real application's:
// every table with an identity key, a few typed columns with defaults, a unique and a check
// constraint, a foreign key to an earlier table, two indexes; plus enums, views, a materialized
// view, functions, triggers, RLS policies and a sequence. One SQL script, so a benchmark or a test
// builds it with one query.

/** The script that builds the schema (in the current database, schema `app`). */
export function hundredTableSchemaSql({ tables = 100 } = {}) {
  const lines = [
    'CREATE SCHEMA app;',
    `CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'neutral');`,
    `CREATE TYPE app.plan AS ENUM ('free', 'pro', 'team', 'enterprise');`,
    `CREATE TYPE app.region AS ENUM ('eu', 'us', 'apac');`,
    `CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');`,
    'CREATE SEQUENCE app.invoice_numbers START 1000 INCREMENT 5;',
    `CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;`,
  ];
  for (let i = 1; i <= tables; i += 1) lines.push(...tableSql(i));
  for (let v = 1; v <= 5; v += 1) {
    const t = `app.t${String(v * 10).padStart(3, '0')}`;
    lines.push(`CREATE VIEW app.v${v} AS SELECT id, name, status FROM ${t} WHERE status <> 'sad';`);
  }
  lines.push(`CREATE MATERIALIZED VIEW app.mv_counts AS SELECT status, count(*) AS n FROM app.t001 GROUP BY status;`);
  for (let f = 1; f <= 10; f += 1) {
    lines.push(`CREATE FUNCTION app.f${f}(a integer, b text DEFAULT 'x') RETURNS text LANGUAGE sql STABLE AS $$ SELECT b || (a + ${f})::text $$;`);
  }
  return lines.join('\n');
}

function tableSql(i) {
  const name = `t${String(i).padStart(3, '0')}`;
  const table = `app.${name}`;
  const parent = i > 1 ? `app.t${String(i - 1).padStart(3, '0')}` : null;
  const lines = [
    `CREATE TABLE ${table} (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL,
      email app.email,
      status app.mood NOT NULL DEFAULT 'neutral',
      plan app.plan,
      amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
      tags text[] NOT NULL DEFAULT '{}',
      meta jsonb,
      parent_id bigint${parent ? ` REFERENCES ${parent} (id) ON DELETE CASCADE` : ''},
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz,
      CONSTRAINT ${name}_email_key UNIQUE (email)
    );`,
    `CREATE INDEX ${name}_created_idx ON ${table} (created_at DESC);`,
    `CREATE INDEX ${name}_name_idx ON ${table} (lower(name)) WHERE status <> 'sad';`,
  ];
  if (i % 10 === 0) lines.push(`CREATE TRIGGER ${name}_touch BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION app.touch();`);
  if (i % 20 === 0) {
    lines.push(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`);
    lines.push(`CREATE POLICY ${name}_own ON ${table} USING (name = current_user);`);
  }
  return lines;
}
