/**
 * `polymigrate check`: are the migrations sound? For CI — no live database is read or needed.
 *
 * 1. Every engine's migrations on disk, in the order `up` applies them to an empty database
 *    (the shadow replay's own plan, src/shadow/replay-steps.ts).
 * 2. A scratch database on the shadow server (embedded, or --shadow-url / shadowUrl), driven by
 *    the same `up` and `down` operations a user runs (src/verify/scratch-database.ts).
 * 3. For every migration with a down (a down file, or a native down such as Payload's): the schema
 *    before it, up, down, the schema again — every difference is something the down does not put
 *    back — then up again (src/verify/down-checks.ts). A migration that fails on this fresh
 *    replay stops the check: nothing after it can be checked.
 * The session's database URL is never asked for: DATABASE_URL may be unset.
 */
import type { DiscoveredMigration, MigrationAdapter } from '../adapter/contract.js';
import { selectEngines } from '../plan/plan-up.js';
import type { Session } from '../session.js';
import { planReplay } from '../shadow/replay-steps.js';
import { openShadow, shadowConfig } from '../shadow/shadow.js';
import { historyExclusions } from '../verify/history-exclusions.js';
import { shadowServerInfo } from '../verify/shadow-server-info.js';
import { runDownChecks, type CheckStep, type DownChecks } from '../verify/down-checks.js';
import type { CheckedMigration, CheckOptions, CheckReport } from './check-report.js';

export type { CheckDifference, CheckedMigration, CheckOptions, CheckReport, DownCheckResult } from './check-report.js';

export async function check(session: Session, options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const engines = selectEngines(session.engineNames(), options.engines);
  const config = shadowConfig(session.config);
  const adapters = await session.adapters();
  const exclude = await historyExclusions(config.journalSchema, adapters.values());
  const plan = planReplay(config, adapters, await discoverAll(adapters), undefined);
  const steps = plan.steps.map(({ engine, id, planned }): CheckStep => {
    const hasDown = adapters.get(engine)!.capabilities.rollback !== 'none' && planned.migration.hasDown;
    return { engine, id, hasDown, checked: hasDown && engines.includes(engine) };
  });
  const shadow = await openShadow({ config: session.config, cache: false, ...(options.shadowUrl ? { shadowUrl: options.shadowUrl } : {}) });
  try {
    const order = steps.map(({ engine, id }) => ({ engine, id }));
    const checks: DownChecks = plan.refusals.length > 0 ? { migrations: [], rebuilds: 0 } : await runDownChecks({ shadow, config, adapters, exclude, order, signal: options.signal }, steps);
    return {
      sound: plan.refusals.length === 0 && !checks.failed && checks.migrations.every((m) => !PROBLEMS.has(m.result)),
      migrations: checks.migrations,
      ...(checks.failed ? { failed: checks.failed } : {}),
      refusals: plan.refusals,
      summary: summarize(checks.migrations, steps.length, checks.failed ? checks.migrations.length : plan.refusals.length > 0 ? 0 : steps.length),
      engines,
      warnings: [...shadow.warnings, ...plan.warnings],
      shadow: { ...shadowServerInfo(shadow), rebuilds: checks.rebuilds },
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await shadow.close();
  }
}

const PROBLEMS: ReadonlySet<CheckedMigration['result']> = new Set(['forgets', 'down-failed', 'reapply-failed']);

function summarize(migrations: CheckedMigration[], total: number, replayed: number): CheckReport['summary'] {
  const count = (result: CheckedMigration['result']) => migrations.filter((m) => m.result === result).length;
  const restores = count('restores');
  const forgets = count('forgets');
  const downFailed = count('down-failed');
  const reapplyFailed = count('reapply-failed');
  return {
    migrations: total,
    replayed,
    downs: restores + forgets + downFailed + reapplyFailed,
    restores,
    forgets,
    downFailed,
    reapplyFailed,
    noDown: count('no-down'),
    notSelected: count('not-selected'),
  };
}

async function discoverAll(adapters: Map<string, MigrationAdapter>): Promise<Map<string, DiscoveredMigration[]>> {
  const entries = await Promise.all([...adapters].map(async ([name, adapter]) => [name, await adapter.source.discover()] as const));
  return new Map(entries);
}
