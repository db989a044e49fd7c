/**
 * What a database URL's shape says about a connection pooler in front of PostgreSQL. Hosted
 * platforms name their poolers consistently, so a URL can say "transaction mode" for certain
 * before anything connects; a self-hosted PgBouncer (Railway, Coolify, Kubernetes) looks like
 * any PostgreSQL URL, which is why the session probe (session-probe.ts) decides in the end.
 */
export interface PoolerHint {
  /** The pooler, in words ("Supabase's shared pooler (Supavisor) in transaction mode (port 6543)"); when not certain, what hints at one. */
  what: string;
  /** The URL's shape alone proves transaction mode: refuse without connecting. */
  certain: boolean;
  /** Where that platform's direct or session-mode URL is. */
  directUrl: string;
}

const SUPABASE_HOST = /(^|\.)(supabase\.co|supabase\.com)$/i;
const SUPABASE_POOLER_HOST = /\.pooler\.supabase\.com$/i;
const NEON_POOLER_HOST = /^[^.]+-pooler\./i;

function port(url: URL): number {
  return url.port ? Number(url.port) : 5432;
}

/** The pooler a URL names, if its shape names one. */
export function poolerHint(databaseUrl: string): PoolerHint | undefined {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname;
  if (SUPABASE_HOST.test(host) && port(url) === 6543) {
    return {
      what: SUPABASE_POOLER_HOST.test(host)
        ? "Supabase's shared pooler (Supavisor) in transaction mode (port 6543)"
        : "Supabase's dedicated pooler (PgBouncer) in transaction mode (port 6543)",
      certain: true,
      directUrl: "Supabase: the same URL with port 5432 (the pooler's session mode), or the direct host db.<project-ref>.supabase.co:5432 (Project Settings → Database)",
    };
  }
  if (host.includes('.neon.tech') && NEON_POOLER_HOST.test(host)) {
    return {
      what: 'Neon\'s pooled endpoint (PgBouncer in transaction mode, a "-pooler" host)',
      certain: true,
      directUrl: 'Neon: the same host without "-pooler" (the Connect dialog with "Connection pooling" off)',
    };
  }
  if (url.searchParams.get('pgbouncer') === 'true') {
    return {
      what: "a PgBouncer in transaction mode (the URL says pgbouncer=true, Prisma's flag for one)",
      certain: true,
      directUrl: "the URL of PostgreSQL itself, or of a pool with pool_mode=session (what Prisma's directUrl points at)",
    };
  }
  if (port(url) === 6543 || port(url) === 6432) {
    return {
      what: port(url) === 6432 ? "port 6432 is PgBouncer's usual port" : "port 6543 is the usual port of a pooler's transaction mode (Supabase's)",
      certain: false,
      directUrl: 'the URL of PostgreSQL itself, or of a pool with pool_mode=session',
    };
  }
  return undefined;
}
