import { RefusedError } from '../errors.js';
import { acquireAdvisoryLock, POLYMIGRATE_LOCK_KEY, releaseAdvisoryLock } from '../lock/advisory-lock.js';
import { freeStrandedKeys } from '../lock/stranded-locks.js';
import { refuseKnownTransactionPooler, refuseTransactionPooler } from '../pooler/pooler-check.js';
import type { Session } from '../session.js';
import { VERSION } from '../version.js';

/** Repair a failed migration's history the way the engine's own tooling would, under the lock. */
export async function resolve(given: Session, engine: string, id: string, mark: 'applied' | 'rolled-back'): Promise<string> {
  const session = given.forRun();
  const adapter = await session.adapter(engine);
  if (!adapter.resolve) {
    throw new RefusedError(`The ${adapter.kind} engine "${engine}" has no failed state to resolve.`,
      'Nothing to do: its migrations either apply completely or not at all.');
  }
  refuseKnownTransactionPooler(session.databaseUrl);
  const db = await session.db();
  const lockDb = await session.lockDb();
  const engineDb = await session.engineDb(engine);
  await refuseTransactionPooler(session.databaseUrl, { name: 'the lock connection', db: lockDb }, { name: 'the run connection', db });
  await acquireAdvisoryLock(lockDb, POLYMIGRATE_LOCK_KEY, { timeoutSeconds: session.lockTimeoutSeconds, journal: session.journal });
  try {
    const message = await adapter.resolve(id, mark, { db: engineDb, databaseUrl: session.engineUrl(engine) });
    await session.journal.ensure(db);
    const runId = await session.journal.startRun(db, { command: 'resolve', options: { engine, id, mark }, version: VERSION });
    session.events.runStarted?.(runId);
    await session.journal.finishRun(db, runId, 'succeeded');
    return message;
  } finally {
    await releaseAdvisoryLock(lockDb, POLYMIGRATE_LOCK_KEY).catch(() => undefined);
    await freeStrandedKeys([{ url: session.databaseUrl, db: lockDb }, { url: session.engineUrl(engine), db: engineDb }]);
  }
}
