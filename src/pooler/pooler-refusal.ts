import { maskUrl } from '../db/mask-url.js';
import { RefusedError } from '../errors.js';
import type { PoolerHint } from './pooler-url.js';

export interface PoolerFinding {
  /** The URL the connections went to (masked in the message); unknown deep inside the lock. */
  url?: string;
  /** What polymigrate saw, or what the URL says. */
  evidence: string;
  hint?: PoolerHint;
}

const GENERIC_DIRECT =
  "PgBouncer (Railway, Coolify, Kubernetes): PostgreSQL's own host and port, or a pool with pool_mode=session; " + 'Supabase: port 5432; Neon: the host without "-pooler"';

/**
 * The refusal for a transaction-mode pooler, with its cause and its fix. Exit 5: nothing was
 * locked or changed (the probe and the URL check run before any lock; the lock's own checks
 * refuse before taking a key on a session that is not this connection's).
 */
export function transactionPoolerRefusal(finding: PoolerFinding): RefusedError {
  const { hint } = finding;
  const what = hint?.certain ? hint.what : `a transaction-mode connection pooler (PgBouncer pool_mode=transaction, Supavisor, or the like${hint ? `; ${hint.what}` : ''})`;
  const where = finding.url ? ` at ${maskUrl(finding.url)}` : '';
  return new RefusedError(
    `Refusing to migrate through ${what}${where}: ${finding.evidence}. ` +
      "Through a transaction-mode pooler every transaction may run on another server session, so polymigrate's session-level " +
      'lock cannot keep runs apart: concurrent runs could apply a migration twice, and a lock could stay held by an idle pooled ' +
      'connection after the run. Nothing was locked or changed.',
    'Run up, down and resolve on a direct or session-mode URL of the same database: set "directUrl" in the config, or DIRECT_URL ' +
      `(with --url: --direct-url) — ${hint?.directUrl ?? GENERIC_DIRECT}. ` +
      'status and the health route can keep the pooled URL.',
  );
}
