import { timingSafeEqual } from 'node:crypto';
import type { ResolvedConfig } from '../config/config-types.js';
import { resolveConfigInput, type ConfigInput } from '../api/config-input.js';
import { isLockHeld, POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../lock/advisory-lock.js';
import { collectStatus } from '../operations/status.js';
import { summarize, type EngineStatus } from '../status/engine-status.js';
import { Session } from '../session.js';
import { redactedJson, registerSecret } from '../secrets/secret-registry.js';

export interface HealthHandlerOptions {
  /** A config object (paths relative to `cwd`) or the path of a config file; default: found from the cwd. */
  config?: ConfigInput;
  cwd?: string;
  databaseUrl?: string;
  /** With `Authorization: Bearer <token>`, the body lists every engine's migrations. */
  token?: string;
  /** `?quick=1` answers within this many ms, from the last result if a fresh check is slower (default 300). */
  quickTimeoutMs?: number;
}

export type MigrationsHealth = 'completed' | 'pending' | 'running' | 'failed' | 'unknown';

interface CheckResult {
  migrations: MigrationsHealth;
  lastChecked: string;
  engines: EngineStatus[];
  error?: string;
}

function engineSummary(engine: EngineStatus, details: boolean) {
  // summarize() holds the one definition of pending and problem states (status, plans and health agree).
  const { pending, problems } = summarize([engine]);
  return {
    name: engine.name,
    kind: engine.kind,
    status: (problems > 0 ? 'failed' : pending > 0 ? 'pending' : 'completed') as MigrationsHealth,
    ...(details
      ? {
          pending,
          problems,
          migrations: engine.migrations.map((m) => ({ id: m.id, state: m.state, ...(m.reason ? { reason: m.reason } : {}) })),
          engineProblems: engine.problems,
        }
      : {}),
  };
}

/** One status check, in a session of its own; a failure is an answer ('unknown'), never a throw. */
async function checkMigrations(loadConfig: () => Promise<ResolvedConfig>, databaseUrl: string | undefined): Promise<CheckResult> {
  const lastChecked = new Date().toISOString();
  let session: Session | undefined;
  try {
    session = new Session({ config: await loadConfig(), ...(databaseUrl ? { databaseUrl } : {}) });
    const engines = await collectStatus(session);
    // The step guard alone: a killed run's last migration is still committing on the server.
    const running = await isLockHeld(await session.db(), POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY);
    const summary = summarize(engines);
    const migrations: MigrationsHealth = summary.problems > 0 ? 'failed' : running ? 'running' : summary.pending > 0 ? 'pending' : 'completed';
    return { migrations, lastChecked, engines };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { migrations: 'unknown', lastChecked, engines: [], error: code === 'ECONNREFUSED' ? 'database unreachable' : 'status check failed' };
  } finally {
    await session?.close();
  }
}

/** Compared in constant time, so the answer's timing says nothing about the token. */
function isAuthorized(request: Request, token: string | undefined): boolean {
  if (!token) return false;
  const header = request.headers.get('authorization') ?? '';
  const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function healthResponse(request: Request, result: CheckResult, details: boolean): Response {
  const healthy = result.migrations === 'completed';
  const body = {
    status: healthy ? 'ok' : 'error',
    timestamp: new Date().toISOString(),
    migrations: { status: result.migrations, lastChecked: result.lastChecked },
    engines: result.engines.map((engine) => engineSummary(engine, details)),
    ...(result.error ? { error: result.error } : {}),
  };
  const init = { status: healthy ? 200 : 503, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } };
  // Reasons and problems quote engines' history (Prisma's logs hold PostgreSQL's errors).
  return new Response(request.method === 'HEAD' ? null : redactedJson(body), init);
}

/**
 * A health route: `export const GET = createHealthHandler({ config: 'polymigrate.config.ts' })` in
 * Next.js, or any framework that speaks web `Request`/`Response`. 200 when every engine is up to
 * date; 503 when something is pending or failed, a run holds the lock, or the database is
 * unreachable. The body never contains the database URL or any secret.
 */
export function createHealthHandler(options: HealthHandlerOptions = {}): (request: Request) => Promise<Response> {
  let config: Promise<ResolvedConfig> | undefined;
  let last: CheckResult | undefined;
  let inFlight: Promise<CheckResult> | undefined;
  registerSecret(options.token);

  // Concurrent requests share one check; `last` answers a quick request while a check is slow.
  // Loaded once, inside the first check: a config that fails to load is an 'unknown' answer.
  const loadConfig = () => (config ??= resolveConfigInput(options.config, options.cwd));

  // Concurrent requests share one check; `last` answers a quick request while a check is slow.
  function fresh(): Promise<CheckResult> {
    inFlight ??= checkMigrations(loadConfig, options.databaseUrl).then((result) => {
      last = result;
      inFlight = undefined;
      return result;
    });
    return inFlight;
  }

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const quick = ['1', 'true'].includes(url.searchParams.get('quick') ?? '');
    let result: CheckResult | undefined;
    if (quick) {
      const timeout = new Promise<undefined>((resolve) => {
        setTimeout(() => resolve(undefined), options.quickTimeoutMs ?? 300).unref();
      });
      result = (await Promise.race([fresh(), timeout])) ?? last;
    } else {
      result = await fresh();
    }
    result ??= { migrations: 'unknown', lastChecked: new Date().toISOString(), engines: [], error: 'first check still running' };
    return healthResponse(request, result, isAuthorized(request, options.token));
  };
}
