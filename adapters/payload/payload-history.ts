import type { EngineProblem, HistoryEntry, Queryable } from '../../src/adapter/contract.js';
import { isMissingTable } from '../../src/db/missing-table.js';
import { qualified } from '../../src/db/quote.js';

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
    const { rows } = await db.query<PayloadRow>(
      `SELECT name, batch::float8 AS batch, created_at FROM ${qualified(schema, 'payload_migrations')} ORDER BY created_at, id`);
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
  return [{
    message: `${engine}: payload_migrations holds Payload's dev-mode marker (name 'dev', batch -1): this database's schema was pushed by Payload in dev mode, so its tables may not match the migrations.`,
    fix: 'Either reset this (development) database and run polymigrate up, or make sure the schema matches the migrations '
      + `(the applied ones must be recorded), then delete the marker: DELETE FROM ${qualified(schema, 'payload_migrations')} WHERE name = 'dev' AND batch = -1; `
      + 'and run polymigrate up again.',
  }];
}
