import { timingSafeEqual } from 'node:crypto';
import type { ResolvedConfig } from '../config/config-types.js';
import { resolveConfigInput, type ConfigInput } from '../api/config-input.js';
import { isLockHeld, POLYMIGRATE_LOCK_KEY, POLYMIGRATE_STEP_GUARD_KEY } from '../lock/advisory-lock.js';
import { collectStatus } from '../operations/status.js';
import { countProblems, summarize, type EngineStatus } from '../status/engine-status.js';
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
  const pending = engine.migrations.filter((m) => m.state === 'pending' || m.state === 'rolled-back').length;
  const problems = countProblems(engine.problems) + engine.migrations.filter((m) => ['failed', 'modified', 'missing', 'unreachable'].includes(m.state)).length;
  return {
    name: engine.name,
    kind: engine.kind,
    status: (problems > 0 ? 'failed' : pending > 0 ? 'pending' : 'completed') as MigrationsHealth,
    ...(details ? {
      pending,
      problems,
      migrations: engine.migrations.map((m) => ({ id: m.id, state: m.state, ...(m.reason ? { reason: m.reason } : {}) })),
      engineProblems: engine.problems,
    } : {}),
  };
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

  async function check(): Promise<CheckResult> {
    const lastChecked = new Date().toISOString();
    let session: Session | undefined;
    try {
      config ??= resolveConfigInput(options.config, options.cwd);
      session = new Session({ config: await config, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}) });
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

  function fresh(): Promise<CheckResult> {
    inFlight ??= check().then((result) => {
      last = result;
      inFlight = undefined;
      return result;
    });
    return inFlight;
  }

  function authorized(request: Request): boolean {
    if (!options.token) return false;
    const header = request.headers.get('authorization') ?? '';
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    const wanted = Buffer.from(options.token);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const quick = ['1', 'true'].includes(url.searchParams.get('quick') ?? '');
    let result: CheckResult | undefined;
    if (quick) {
      const timeout = new Promise<undefined>((resolve) => { setTimeout(() => resolve(undefined), options.quickTimeoutMs ?? 300).unref(); });
      result = (await Promise.race([fresh(), timeout])) ?? last;
    } else {
      result = await fresh();
    }
    result ??= { migrations: 'unknown', lastChecked: new Date().toISOString(), engines: [], error: 'first check still running' };
    const healthy = result.migrations === 'completed';
    const details = authorized(request);
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
  };
}
