import { RefusedError } from '../errors.js';
import { POLYMIGRATE_LOCK_KEY } from '../lock/advisory-lock.js';
import { withAdvisoryLocks } from '../lock/held-locks.js';
import { refuseKnownTransactionPooler, refuseTransactionPooler } from '../pooler/pooler-check.js';
import type { Session } from '../session.js';
import { VERSION } from '../version.js';

/** Repair a failed migration's history the way the engine's own tooling would, under the lock. */
export async function resolve(given: Session, engine: string, id: string, mark: 'applied' | 'rolled-back'): Promise<string> {
  const session = given.forRun();
  const adapter = await session.adapter(engine);
  const repair = adapter.history.resolve?.bind(adapter.history);
  if (!repair) {
    throw new RefusedError(`The ${adapter.kind} engine "${engine}" has no failed state to resolve.`, 'Nothing to do: its migrations either apply completely or not at all.');
  }
  refuseKnownTransactionPooler(session.databaseUrl);
  const db = await session.db();
  const lockDb = await session.lockDb();
  const engineDb = await session.engineDb(engine);
  await refuseTransactionPooler(session.databaseUrl, { name: 'the lock connection', db: lockDb }, { name: 'the run connection', db });
  // polymigrate's lock, and the engine's own (Prisma's resolve holds Prisma's): a concurrent
  // deploy by either cannot interleave.
  const keys = [POLYMIGRATE_LOCK_KEY, ...(adapter.capabilities.lockKeys ?? [])];
  return withAdvisoryLocks(lockDb, session.databaseUrl, keys, { timeoutSeconds: session.lockTimeoutSeconds, journal: session.journal }, async () => {
    const message = await repair(id, mark, { db: engineDb, databaseUrl: session.engineUrl(engine) });
    await session.journal.ensure(db);
    const runId = await session.journal.startRun(db, { command: 'resolve', options: { engine, id, mark }, version: VERSION });
    session.events.runStarted?.(runId);
    await session.journal.finishRun(db, runId, 'succeeded');
    return message;
  });
}
