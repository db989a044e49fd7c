import type { EngineProblem, HistoryEntry, Queryable } from '../../src/adapter/contract.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { qualified } from '../../src/db/quote.js';
import { RefusedError } from '../../src/errors.js';

/** The row Payload writes when dev mode pushes the schema without migrations. */
const DEV_PUSH = { name: 'dev', batch: -1 };

interface PayloadRow extends Record<string, unknown> {
  name: string;
  batch: number | null;
  created_at: Date | null;
}

/**
 * Payload's history, read without loading Payload: one query on payload_migrations (created by
 * the first migration itself, so a missing table means nothing applied). Payload has no
 * checksums and no failed state: a migration and its row commit together.
 */
export async function readPayloadHistory(db: Queryable, schema: string): Promise<HistoryEntry[]> {
  try {
    const { rows } = await db.query<PayloadRow>(`SELECT name, batch::float8 AS batch, created_at FROM ${qualified(schema, 'payload_migrations')} ORDER BY created_at, id`);
    return rows.map((row) => ({
      id: row.name,
      state: 'applied' as const,
      ...(row.batch === null ? {} : { batch: Number(row.batch) }),
      ...(row.created_at ? { appliedAt: row.created_at } : {}),
    }));
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  }
}

export function isDevPushMarker(entry: HistoryEntry): boolean {
  return entry.id === DEV_PUSH.name && entry.batch === DEV_PUSH.batch;
}

/**
 * The dev-push marker: Payload's `migrate` would stop at an interactive question (and hang
 * without a terminal), because the schema may already hold what the migrations create.
 */
export function payloadProblems(history: HistoryEntry[], engine: string, schema: string): EngineProblem[] {
  if (!history.some(isDevPushMarker)) return [];
  return [
    {
      message: `${engine}: payload_migrations holds Payload's dev-mode marker (name 'dev', batch -1): this database's schema was pushed by Payload in dev mode, so its tables may not match the migrations.`,
      fix:
        'Either reset this (development) database and run polymigrate up, or make sure the schema matches the migrations ' +
        `(the applied ones must be recorded), then delete the marker: DELETE FROM ${qualified(schema, 'payload_migrations')} WHERE name = 'dev' AND batch = -1; ` +
        'and run polymigrate up again.',
    },
  ];
}

/**
 * `baseline`: the rows Payload's `migrate` writes when it runs these migrations in one go — name,
 * and one new batch: the batch of the alphabetically last recorded migration (the dev-push marker
 * aside) + 1, or 1 (Payload's `migrate`, @payloadcms/drizzle). The dev-push marker goes: the
 * schema it stood for has just been checked against the migrations, and while it stays, Payload's
 * `migrate` stops at an interactive question. payload_migrations is created by the first migration
 * (or by dev mode's push), never by `migrate` itself, so a database without it is refused.
 */
export async function recordPayloadApplied(db: Queryable, schema: string, names: string[], engine: string): Promise<void> {
  const table = qualified(schema, 'payload_migrations');
  const {
    rows: [exists],
  } = await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  if (!exists?.found) {
    throw new RefusedError(
      `${engine}: ${table} does not exist, so this database does not hold Payload's schema (Payload's first migration, or dev mode's push, creates it).`,
      'Nothing was recorded. Run polymigrate up on it instead, or point --url at the database Payload pushed to.',
    );
  }
  const { rows } = await db.query<{ batch: number | null }>(`SELECT batch::float8 AS batch FROM ${table} WHERE batch IS DISTINCT FROM ${DEV_PUSH.batch} ORDER BY name DESC LIMIT 1`);
  const latest = Number(rows[0]?.batch ?? 0);
  const batch = (latest > 0 ? latest : 0) + 1;
  await db.query(`DELETE FROM ${table} WHERE name = $1 AND batch = $2`, [DEV_PUSH.name, DEV_PUSH.batch]);
  for (const name of names) {
    await db.query(`INSERT INTO ${table} (name, batch, updated_at, created_at) VALUES ($1, $2, now(), now())`, [name, batch]);
  }
}
