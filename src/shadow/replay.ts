import type { DiscoveredMigration, MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { up } from '../operations/up.js';
import type { RunReport } from '../operations/reports.js';
import type { Refusal } from '../plan/plan-types.js';
import type { RunEvents } from '../run/run-events.js';
import { stepFailureMessage } from '../run/step-result.js';
import { InterruptedError } from '../errors.js';
import { Session } from '../session.js';
import { checkpointPositions } from './checkpoints.js';
import type { MemoryTablespace } from './memory-tablespace.js';
import { planReplay, type ReplayPlan, type ReplayStep } from './replay-steps.js';
import { ScratchPlacement } from './scratch-placement.js';
import { SCRATCH_PREFIX, transientName, type ShadowDatabases } from './shadow-databases.js';
import type { ShadowServer } from './shadow-server.js';
import { ShadowReplayError, type Replay, type ReplayCacheReport, type ReplayOptions, type ShadowPrefix } from './shadow-types.js';
import type { CacheCap, CachedTemplate, TemplateCache } from './template-cache.js';

/** What a replay runs with: the shadow's server, its cache, and the project as `up` sees it. */
export interface ReplayContext {
  server: ShadowServer;
  databases: ShadowDatabases;
  cache: { store: TemplateCache; cap: CacheCap } | undefined;
  /** Where scratch databases go in memory (the embedded server on Linux), undefined: the disk. */
  memory: MemoryTablespace | undefined;
  /** The project's config, every engine pointed at the shadow (shadowConfig). */
  config: ResolvedConfig;
  /** The engines' adapters, made once per shadow. */
  adapters: Map<string, MigrationAdapter>;
  events: RunEvents | undefined;
}

/**
 * Replay into a new scratch database: copy the longest cached prefix (if any), then run the rest
 * exactly as `up` runs it — `up` itself, on sessions pointed at the scratch database — in
 * segments that end at the checkpoints not cached yet, each kept as a template before the next
 * segment starts (a copy needs every session on the database closed).
 */
export async function runReplay(ctx: ReplayContext, options: ReplayOptions): Promise<Omit<Replay, 'copy'>> {
  const started = performance.now();
  const discovered = await discoverAll(ctx.adapters);
  const plan = planReplay(ctx.config, ctx.adapters, discovered, options.only, options.cacheSalt);
  if (plan.refusals.length > 0) throw refusalError(plan.refusals);
  const { steps } = plan;
  const database = transientName(SCRATCH_PREFIX);
  const warnings = [...plan.warnings];
  const report: ReplayCacheReport = { enabled: ctx.cache !== undefined, hit: 0, replayed: 0, saved: 0, evicted: 0 };
  const templates = ctx.cache ? await ctx.cache.store.list() : [];
  const best = ctx.cache?.store.longest(
    templates,
    steps.map((s) => s.key),
  );
  if (options.readOnly && best && best.length === steps.length) return readCachedWhole(ctx, best, plan, options, started);
  const placement = new ScratchPlacement(ctx.memory, ctx.databases, discovered);
  report.hit = await restoreLongest(ctx, best, { database, placement }, warnings);
  if (report.hit === 0) await placement.make(database, undefined, (tablespace) => ctx.databases.createEmpty(database, tablespace));
  const url = ctx.server.urlFor(database);
  try {
    const restored = report.hit > 0 ? prefixOf(steps, report.hit) : undefined;
    if (restored) await options.afterRestore?.(restored, url);
    await options.beforeReplay?.(restored, url);
    const adapters = withDiscovered(ctx.adapters, discovered);
    const cached = new Set(templates.map((t) => t.key));
    const checkpoints = ctx.cache ? checkpointPositions(steps).filter((p) => p > report.hit && !cached.has(steps[p - 1]!.key)) : [];
    const ends = [...new Set([...checkpoints, steps.length])].filter((end) => end > report.hit).sort((a, b) => a - b);
    let done = report.hit;
    for (const end of ends) {
      await runSegment(ctx, adapters, url, steps.slice(0, end), steps.slice(done, end), options);
      report.replayed += end - done;
      done = end;
      if (!ctx.cache || !checkpoints.includes(end)) continue;
      await options.beforeCheckpoint?.(prefixOf(steps, end), url);
      const last = steps[end - 1]!;
      if (await ctx.cache.store.save(database, last.key, end, `${last.engine}:${last.id}`)) report.saved += 1;
    }
    if (ctx.cache) report.evicted = await ctx.cache.store.evict(ctx.cache.cap);
  } catch (error) {
    await ctx.databases.drop(database).catch(() => undefined);
    throw error;
  }
  return {
    databaseUrl: url,
    database,
    steps: stepRefs(steps),
    missing: plan.missing,
    warnings,
    cache: report,
    durationMs: Math.round(performance.now() - started),
    drop: () => ctx.databases.drop(database),
  };
}

/**
 * Every migration is cached and the caller only reads (`readOnly`): the template itself is opened
 * for reading — no copy, which for a long history is most of a warm replay. `drop()` closes it to
 * connections again (a copy of it waits until no session is on it).
 */
async function readCachedWhole(ctx: ReplayContext, template: CachedTemplate, plan: ReplayPlan, options: ReplayOptions, started: number): Promise<Omit<Replay, 'copy'>> {
  const { steps } = plan;
  await ctx.cache!.store.openForReading(template);
  const url = ctx.server.urlFor(template.name);
  const close = () => ctx.databases.closeToConnections(template.name);
  try {
    const prefix = prefixOf(steps, steps.length);
    await options.afterRestore?.(prefix, url);
    await options.beforeReplay?.(prefix, url);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return {
    databaseUrl: url,
    database: template.name,
    steps: stepRefs(steps),
    missing: plan.missing,
    warnings: [...plan.warnings],
    cache: { enabled: true, hit: steps.length, replayed: 0, saved: 0, evicted: 0 },
    durationMs: Math.round(performance.now() - started),
    drop: close,
  };
}

/** Copy the longest cached prefix (`best`) into `database`; the number of migrations it holds (0: none). */
async function restoreLongest(
  ctx: ReplayContext,
  best: CachedTemplate | undefined,
  { database, placement }: { database: string; placement: ScratchPlacement },
  warnings: string[],
): Promise<number> {
  if (!ctx.cache || !best) return 0;
  try {
    const { store } = ctx.cache;
    await placement.make(database, best.name, (tablespace) => store.restore(best, database, tablespace));
    return best.length;
  } catch (error) {
    // Evicted by another process sharing the server a moment ago, typically: replay it all.
    await ctx.databases.drop(database).catch(() => undefined);
    warnings.push(`The cached prefix ${best.name} could not be copied (${(error as Error).message}); the shadow replayed from scratch.`);
    return 0;
  }
}

/**
 * One `up` on a new session pointed at the shadow database, restricted to the prefix that must be
 * there when it ends (what is already there is applied, so `up` plans exactly `expected`).
 */
async function runSegment(ctx: ReplayContext, adapters: Map<string, MigrationAdapter>, url: string, prefix: ReplayStep[], expected: ReplayStep[], options: ReplayOptions): Promise<void> {
  const session = new Session({ config: { ...ctx.config, databaseUrl: url }, databaseUrl: url, ...(ctx.events ? { events: ctx.events } : {}) }, new Map(adapters));
  const { afterStep } = options;
  try {
    const report = await up(session, options.signal ? { signal: options.signal } : {}, {
      only: onlyOf(prefix),
      ...(afterStep ? { afterStep: (step) => afterStep({ engine: step.engine, id: step.id }, url) } : {}),
    });
    checkSegment(report, expected);
  } finally {
    await session.close();
  }
}

function checkSegment(report: RunReport, expected: ReplayStep[]): void {
  if (report.outcome === 'refused') throw refusalError(report.plan.refusals);
  // Stopped by SIGINT/SIGTERM: the command exits 130/143 like up, not as a failed replay. Only the
  // shadow's scratch database was touched ("nothing was changed" holds for the live database).
  if (report.outcome === 'interrupted') throw new InterruptedError(report.interruptedBy ?? 'SIGINT', 'while the shadow replayed the migrations');
  const failed = report.results.find((r) => r.status === 'failed' || r.status === 'interrupted');
  if (failed) {
    throw new ShadowReplayError(`The shadow replay stopped: ${stepFailureMessage(failed)}`, {
      failed: { engine: failed.engine, id: failed.id, error: failed.error ?? { message: failed.status } },
    });
  }
  const ran = report.results.filter((r) => r.status === 'applied').map((r) => `${r.engine}:${r.id}`);
  const wanted = expected.map((s) => `${s.engine}:${s.id}`);
  if (ran.join('\n') !== wanted.join('\n')) {
    throw new ShadowReplayError(
      `internal: the shadow's up ran ${ran.length} migrations (${ran.slice(0, 3).join(', ')}…), not the ${wanted.length} planned (${wanted.slice(0, 3).join(', ')}…).`,
      {},
    );
  }
}

function refusalError(refusals: Refusal[]): ShadowReplayError {
  return new ShadowReplayError(`The shadow cannot replay the migrations: ${refusals.map((r) => r.message).join('; ')}`, { refusals, hint: refusals[0]?.fix });
}

function stepRefs(steps: ReplayStep[]): Replay['steps'] {
  return steps.map((s) => ({ engine: s.engine, id: s.id, checksum: s.checksum }));
}

function onlyOf(steps: ReplayStep[]): Map<string, Set<string>> {
  const only = new Map<string, Set<string>>();
  for (const step of steps) {
    let ids = only.get(step.engine);
    if (!ids) only.set(step.engine, (ids = new Set()));
    ids.add(step.id);
  }
  return only;
}

function prefixOf(steps: ReplayStep[], length: number): ShadowPrefix {
  return { length, key: steps[length - 1]!.key, steps: steps.slice(0, length).map((s) => ({ engine: s.engine, id: s.id })) };
}

async function discoverAll(adapters: Map<string, MigrationAdapter>): Promise<Map<string, DiscoveredMigration[]>> {
  const entries = await Promise.all([...adapters].map(async ([name, adapter]) => [name, await adapter.source.discover()] as const));
  return new Map(entries);
}

/**
 * The adapters, each listing the files read once for this replay: every segment's `up` reads the
 * same files (hundreds, for a long history) and must see the same ones the plan was made from.
 */
function withDiscovered(adapters: Map<string, MigrationAdapter>, discovered: Map<string, DiscoveredMigration[]>): Map<string, MigrationAdapter> {
  const wrapped = new Map<string, MigrationAdapter>();
  for (const [name, adapter] of adapters) {
    const source = Object.assign(Object.create(adapter.source) as MigrationAdapter['source'], { discover: async () => discovered.get(name)! });
    wrapped.set(name, Object.assign(Object.create(adapter) as MigrationAdapter, { source }));
  }
  return wrapped;
}
