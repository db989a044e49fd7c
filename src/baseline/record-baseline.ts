import type { DiscoveredMigration, MigrationAdapter } from '../adapter/contract.js';
import type { Session } from '../session.js';
import { VERSION } from '../version.js';

/**
 * Write the baseline: the engine's own history rows (its `recordApplied`) and the journal's run
 * row, in ONE transaction on the run connection — all of them or none. The caller holds the locks.
 * Returns the journal run's id.
 */
export async function recordBaseline(session: Session, adapter: MigrationAdapter, migrations: DiscoveredMigration[], options: { to?: string }): Promise<number> {
  const db = await session.db();
  await session.journal.ensure(db);
  await db.query('BEGIN');
  try {
    const runId = await session.journal.startRun(db, {
      command: 'baseline',
      options: { engine: adapter.name, ...(options.to ? { to: options.to } : {}), recorded: migrations.map((m) => m.id) },
      version: VERSION,
    });
    await adapter.history.recordApplied!(migrations, { db, databaseUrl: session.engineUrl(adapter.name) });
    await session.journal.finishRun(db, runId, 'succeeded');
    await db.query('COMMIT');
    session.events.runStarted?.(runId);
    return runId;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
