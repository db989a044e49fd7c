import { timingSafeEqual } from 'node:crypto';
import type { ResolvedConfig } from '../config/config-types.js';
import { redactSecrets, registerSecret } from '../secrets/secret-registry.js';
import { ConfigError, LockTimeoutError } from '../errors.js';
import { skipReason } from '../operations/skip-switch.js';
import { up } from '../operations/up.js';
import { runDocument } from '../report/documents.js';
import { Session } from '../session.js';
import { resolveConfigInput, type ConfigInput } from './config-input.js';

export interface MigrateHandlerOptions {
  config?: ConfigInput;
  /** The bearer token callers must send (`Authorization: Bearer <token>`); at least 32 characters. */
  token: string;
  /** Only these engines (like `up --engine`). */
  engines?: string[];
  /** How long to wait for another run's lock before answering 409 (default 2000 ms: no queueing). */
  lockTimeoutMs?: number;
  databaseUrl?: string;
  cwd?: string;
}

const MIN_TOKEN_LENGTH = 32;

/**
 * A protected route that runs `up`: for platforms without a job runner, triggered once per deploy
 * from CI (`curl -X POST -H "Authorization: Bearer $MIGRATE_TOKEN" https://…/api/migrate`). POST
 * only (405), the bearer token compared in constant time (401, no detail), 409 when another run
 * holds the lock (it waits only briefly: a request must not queue), 200 with the `up --json`
 * document, 422 with it when `up` refused (its refusals say what to fix), 500 with the error,
 * secrets masked. It honours the skip switches (200, outcome
 * "skipped") — so it never migrates during a build — and `?dryRun=1` returns the plan only.
 */
export function createMigrateHandler(options: MigrateHandlerOptions): (request: Request) => Promise<Response> {
  if (typeof options?.token !== 'string' || options.token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `createMigrateHandler needs a token of at least ${MIN_TOKEN_LENGTH} characters.`,
      'Generate one (e.g. openssl rand -hex 32), keep it in a secret such as MIGRATE_TOKEN, and pass it as { token: process.env.MIGRATE_TOKEN }.',
    );
  }
  registerSecret(options.token);
  const wanted = Buffer.from(options.token);
  let config: Promise<ResolvedConfig> | undefined;

  const authorized = (request: Request): boolean => {
    const given = Buffer.from((request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, ''));
    // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same.
    return timingSafeEqual(given.length === wanted.length ? given : wanted, wanted) && given.length === wanted.length;
  };

  return async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
    if (!authorized(request)) return json(401, { error: 'unauthorized' });
    const skip = skipReason();
    if (skip) return json(200, { version: 1, command: 'up', outcome: 'skipped', reason: skip });
    const dryRun = ['1', 'true'].includes(new URL(request.url).searchParams.get('dryRun') ?? '');
    let session: Session | undefined;
    try {
      config ??= resolveConfigInput(options.config, options.cwd);
      session = new Session({
        config: await config,
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
        lockTimeoutSeconds: (options.lockTimeoutMs ?? 2_000) / 1000,
      });
      const report = await up(session, { dryRun, ...(options.engines?.length ? { engines: options.engines } : {}) });
      // A refusal (a failed or edited migration, an input no engine can run) is the request's
      // problem, not the server's: 422, with the plan's refusals saying what to fix.
      return json(report.outcome === 'failed' ? 500 : report.outcome === 'refused' ? 422 : 200, runDocument(report));
    } catch (error) {
      if (error instanceof LockTimeoutError) return json(409, { error: 'another migration run holds the lock; try again when it has finished' });
      return json(500, { error: (error as Error).message ?? String(error) });
    } finally {
      await session?.close();
    }
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(redactSecrets(JSON.stringify(body)), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
