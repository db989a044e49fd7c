import type { Queryable, StepEnvelope } from '../../src/adapter/contract.js';
import { runSqlScript, runStatementsOneByOne } from '../../src/db/run-sql-script.js';
import { quoteIdent } from '../../src/db/quote.js';

/**
 * Run a Prisma script. In a transaction: the whole file as one simple-protocol query, as Prisma
 * sends it (dollar-quoted bodies reach PostgreSQL untouched). Outside one: statement by
 * statement, because PostgreSQL runs a multi-statement query as one implicit transaction and
 * CREATE INDEX CONCURRENTLY refuses that.
 */
export async function runPrismaScript(
  db: Queryable, file: string, text: string, inTransaction: boolean,
  options: { then?: string; envelope?: StepEnvelope | undefined } = {},
): Promise<void> {
  if (inTransaction) {
    await runSqlScript(db, { file, text, lineOffset: 0 }, options);
    return;
  }
  await runStatementsOneByOne(db, { file, text, lineOffset: 0 });
}

/**
 * With a configured schema Prisma connects with `search_path` set to it, so unqualified names in
 * its scripts land there. Inside a transaction the setting is local to it; outside, the previous
 * value is restored afterwards because the connection is shared with other engines.
 */
export async function withSearchPath<T>(db: Queryable, schema: string | undefined, inTransaction: boolean, fn: () => Promise<T>): Promise<T> {
  if (!schema) return fn();
  if (inTransaction) {
    await db.query(`SELECT set_config('search_path', $1, true)`, [quoteIdent(schema)]);
    return fn();
  }
  const { rows } = await db.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
  await db.query(`SELECT set_config('search_path', $1, false)`, [quoteIdent(schema)]);
  try {
    return await fn();
  } finally {
    await db.query(`SELECT set_config('search_path', $1, false)`, [rows[0]?.path ?? 'public']).catch(() => undefined);
  }
}

/** What goes into `_prisma_migrations.logs` when a script fails outside a transaction. */
export function failureLogs(error: unknown): string {
  const err = error as { message?: string; code?: string; detail?: string; hint?: string };
  return [
    err.code ? `Database error code: ${err.code}` : undefined,
    `Database error:\n${err.message ?? String(error)}`,
    err.detail ? `DETAIL: ${err.detail}` : undefined,
    err.hint ? `HINT: ${err.hint}` : undefined,
    '(recorded by polymigrate)',
  ].filter(Boolean).join('\n\n');
}
