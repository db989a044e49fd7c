import pg from 'pg';

/**
 * A snapshot of everything a migration tool could change: every schema, table, column, index,
 * constraint, function and sequence, plus the rows of every table. Two equal snapshots mean the
 * database was left as it was, for our purposes.
 */
export async function catalogSnapshot(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const parts: unknown[] = [];
    const q = async (sql: string) => parts.push((await c.query(sql)).rows);
    await q(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`);
    await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
             WHERE table_schema NOT IN ('pg_catalog','information_schema') ORDER BY 1,2,3`);
    await q(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1,2,3`);
    await q(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace NOT IN
             (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog','information_schema')) ORDER BY 1,2`);
    await q(`SELECT n.nspname, p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT IN ('pg_catalog','information_schema') ORDER BY 1,2`);
    await q(`SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1,2`);
    const tables = (
      await c.query<{ t: string }>(`SELECT format('%I.%I', table_schema, table_name) AS t FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog','information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`)
    ).rows;
    for (const { t } of tables) parts.push([t, (await c.query(`SELECT * FROM ${t} ORDER BY 1`)).rows]);
    return JSON.stringify(parts);
  } finally {
    await c.end();
  }
}
