/**
 * `polymigrate plan`: what each pending migration will lock, rewrite and destroy, at production
 * sizes, before it runs.
 *
 * 1. The pending migrations, exactly as `up` would plan them (planUp on each engine's status), and
 *    how each SQL step would run (prepareSqlSteps: the step protocol's mode).
 * 2. The shadow, brought to the live database's applied state (the same replay and cache as
 *    `verify`), then each pending migration traced there in order (src/deploy-plan/trace-pending.ts).
 * 3. The live database's catalog estimates for every relation touched, and the transactions open
 *    there now (src/deploy-plan/sizes.ts: catalog reads only, never a table scan, nothing written).
 * 4. Rules, risk and the document (src/deploy-plan/plan-report.ts).
 */
import { connect } from '../db/connect.js';
import { loadParserSoon } from '../db/pg-parser.js';
import { RefusedError } from '../errors.js';
import { buildDeployPlan } from '../deploy-plan/plan-report.js';
import { readLiveSnapshot, touchedRelations } from '../deploy-plan/sizes.js';
import { tracePending } from '../deploy-plan/trace-pending.js';
import type { DeployPlanDocument } from '../deploy-plan/types.js';
import type { Refusal } from '../plan/plan-types.js';
import { planUp } from '../plan/plan-up.js';
import { prepareSqlSteps } from '../run/step-pipeline.js';
import type { Session } from '../session.js';
import { openShadow, shadowConfig } from '../shadow/shadow.js';
import { appliedMigrations, sharesDatabase } from '../verify/applied-migrations.js';
import { historyExclusions } from '../verify/history-exclusions.js';
import { collectStatus } from './status.js';

export interface PlanOptions {
  /** Only these engines' pending migrations (all engines' applied ones are still replayed). */
  engines?: string[];
  shadowUrl?: string;
  cache?: boolean;
  signal?: AbortSignal;
}

export interface PlanReport {
  document: DeployPlanDocument;
  /** Pending migrations not traced: after one that failed in the shadow. */
  untraced: Array<{ engine: string; id: string }>;
  warnings: string[];
  shadow: { kind: 'embedded' | 'url'; serverVersion: string; cacheHit: number; replayed: number };
  durationMs: number;
}

export async function plan(session: Session, options: PlanOptions = {}): Promise<PlanReport> {
  const started = performance.now();
  // Every traced statement is parsed: the parser (~80 ms) loads while the status is read and the shadow starts.
  loadParserSoon();
  const warnings: string[] = [];
  const statuses = await collectStatus(session);
  const replayed = statuses.filter((status) => sharesDatabase(session, status.name, warnings, 'plan'));
  const upPlan = planUp(replayed, options.engines ? { engines: options.engines } : {});
  if (upPlan.refusals.length > 0) throw upWouldRefuse(upPlan.refusals);
  const adapters = await session.adapters();
  const { prepared, refusals } = await prepareSqlSteps(upPlan.steps, adapters);
  if (refusals.length > 0) throw upWouldRefuse(refusals);
  const exclude = await historyExclusions(session.config.journalSchema, adapters.values());
  const liveDb = await connect(session.databaseUrl, { purpose: 'plan' });
  try {
    const versionNum = Number((await liveDb.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    const config = { ...session.config, engines: session.config.engines.filter((e) => replayed.some((s) => s.name === e.name)) };
    const shadow = await openShadow({ config, ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}), cache: options.cache !== false, targetVersionNum: versionNum });
    try {
      // No attribution: plan reads the shadow's state, not who made it (a plain replay, pipelined like up).
      const replay = await shadow.replay({ only: appliedMigrations(replayed, warnings), ...(options.signal ? { signal: options.signal } : {}) });
      try {
        warnings.push(...shadow.warnings, ...replay.warnings);
        const target = {
          databaseUrl: replay.databaseUrl,
          database: replay.database,
          config: shadowConfig(config),
          adapters,
          exclude,
          onLogLine: shadow.onLogLine,
          copy: () => replay.copy(),
          ...(options.signal ? { signal: options.signal } : {}),
        };
        const { planned, untraced } = await tracePending(target, upPlan.steps, prepared);
        const live = await readLiveSnapshot(liveDb, touchedRelations(planned.map((p) => p.trace)));
        return {
          document: buildDeployPlan(planned, live),
          untraced: untraced.map((s) => ({ engine: s.engine, id: s.id })),
          warnings,
          shadow: { kind: shadow.kind, serverVersion: shadow.serverVersion, cacheHit: replay.cache.hit, replayed: replay.cache.replayed },
          durationMs: Math.round(performance.now() - started),
        };
      } finally {
        await replay.drop().catch(() => undefined);
      }
    } finally {
      await shadow.close();
    }
  } finally {
    await liveDb.end().catch(() => undefined);
  }
}

/** plan traces what `up` would run: when `up` would refuse, so does plan, with up's reasons and fix. */
function upWouldRefuse(refusals: Refusal[]): RefusedError {
  return new RefusedError(`up would refuse to run: ${refusals.map((r) => r.message).join('; ')}`, refusals[0]!.fix);
}
