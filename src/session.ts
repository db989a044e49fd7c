import type { MigrationAdapter, Queryable } from './adapter/contract.js';
import { closeAdapter } from './adapter/close-adapter.js';
import { engineDescriptor } from './adapter/registry.js';
import type { ResolvedConfig } from './config/config-types.js';
import { connect, type DbClient } from './db/connect.js';
import { validateDatabaseUrl } from './db/database-url.js';
import { ConfigError } from './errors.js';
import { Journal } from './journal/journal.js';
import { registerConfigSecrets } from './secrets/config-secrets.js';
import type { RunEvents } from './run/run-events.js';
import type { LockRetryPolicy } from './run/lock-retry.js';

export interface SessionOptions {
  config: ResolvedConfig;
  /** --url; else the config's databaseUrl; else DATABASE_URL. */
  databaseUrl?: string;
  /** --direct-url: what up, down and resolve use instead of the database URL (see `forRun`). */
  directUrl?: string;
  /** --wait: retry the first connection for this many seconds. */
  waitSeconds?: number;
  /** --lock-timeout; else the config's lockTimeout. */
  lockTimeoutSeconds?: number;
  /** --ddl-lock-timeout / --ddl-retries; else the config's ddlLockTimeout / ddlRetries. */
  ddlLockTimeoutSeconds?: number;
  ddlRetries?: number;
  events?: RunEvents;
}

/**
 * One command's worth of state: the config, lazily built adapters, and database connections
 * (opened on first use, closed by `close`). Commands that never touch the database (create,
 * --help) never connect; commands never load an engine they do not use.
 */
export class Session {
  readonly config: ResolvedConfig;
  readonly journal: Journal;
  readonly events: RunEvents;
  readonly lockTimeoutSeconds: number;
  /** Bounded lock waits for migrations, with retries (src/run/lock-retry.ts); undefined: wait as long as it takes. */
  readonly lockRetry: LockRetryPolicy | undefined;
  private readonly options: SessionOptions;
  private readonly adapterCache: Map<string, MigrationAdapter>;
  private readonly clients = new Map<string, Promise<DbClient>>();
  private mainClient?: Promise<DbClient>;
  private validatedUrl?: string;
  private runSession?: Session;

  /** `adapterCache`: shared with the session this one was made from by `forRun`. */
  constructor(options: SessionOptions, adapterCache = new Map<string, MigrationAdapter>()) {
    this.options = options;
    this.adapterCache = adapterCache;
    this.config = options.config;
    this.journal = new Journal(options.config.journalSchema);
    this.events = options.events ?? {};
    this.lockTimeoutSeconds = options.lockTimeoutSeconds ?? options.config.lockTimeoutSeconds;
    const ddlTimeout = options.ddlLockTimeoutSeconds ?? options.config.ddlLockTimeoutSeconds;
    this.lockRetry = ddlTimeout === undefined ? undefined : { lockTimeoutMs: ddlTimeout * 1000, retries: options.ddlRetries ?? options.config.ddlRetries ?? 0 };
    registerConfigSecrets(options.config);
  }

  /** Validated once (it is asked for on every step); a missing or bad URL throws on every ask. */
  get databaseUrl(): string {
    this.validatedUrl ??= this.resolveDatabaseUrl();
    return this.validatedUrl;
  }

  private resolveDatabaseUrl(): string {
    const { databaseUrl } = this.options;
    if (databaseUrl) return validateDatabaseUrl(databaseUrl, '--url');
    if (this.config.databaseUrl) return validateDatabaseUrl(this.config.databaseUrl, `"databaseUrl" in ${this.config.file}`);
    return validateDatabaseUrl(process.env.DATABASE_URL, 'DATABASE_URL');
  }

  /**
   * The URL the locking commands run on instead of the database URL, if any. It pairs with where
   * the database URL came from — `--url` with `--direct-url` only, the config's databaseUrl with its
   * directUrl, DATABASE_URL with directUrl or DIRECT_URL — so a DIRECT_URL left in the environment
   * never sends a run to another database than the one named on the command line.
   */
  get directUrl(): string | undefined {
    const { databaseUrl, directUrl } = this.options;
    if (directUrl) return validateDatabaseUrl(directUrl, '--direct-url');
    if (databaseUrl) return undefined;
    if (this.config.directUrl) return validateDatabaseUrl(this.config.directUrl, `"directUrl" in ${this.config.file}`);
    if (this.config.databaseUrl || !process.env.DIRECT_URL) return undefined;
    return validateDatabaseUrl(process.env.DIRECT_URL, 'DIRECT_URL');
  }

  /**
   * The session `up`, `down` and `resolve` run on: this one, or, when a direct URL is set, one on
   * that URL sharing this one's config, events and adapters (closed with this one). `status` and the
   * health route stay on the database URL, which may go through a transaction-mode pooler.
   */
  forRun(): Session {
    const direct = this.directUrl;
    if (direct === undefined || direct === this.databaseUrl) return this;
    this.runSession ??= new Session({ ...this.options, databaseUrl: direct, directUrl: undefined }, this.adapterCache);
    return this.runSession;
  }

  engineNames(): string[] {
    return this.config.engines.map((e) => e.name);
  }

  async adapter(name: string): Promise<MigrationAdapter> {
    const cached = this.adapterCache.get(name);
    if (cached) return cached;
    const engine = this.config.engines.find((e) => e.name === name);
    if (!engine) {
      throw new ConfigError(
        `Unknown engine "${name}"; the config has ${this.engineNames()
          .map((n) => `"${n}"`)
          .join(', ')}.`,
      );
    }
    let adapter = engine.adapter;
    if (!adapter) {
      adapter = await engineDescriptor(engine.kind)!.create({ options: engine.options!, configDir: this.config.dir, journalSchema: this.config.journalSchema });
    }
    this.adapterCache.set(name, adapter);
    return adapter;
  }

  async adapters(names = this.engineNames()): Promise<Map<string, MigrationAdapter>> {
    const entries = await Promise.all(names.map(async (name) => [name, await this.adapter(name)] as const));
    return new Map(entries);
  }

  /**
   * The main connection (journal, lock holder queries, engines without their own URL). Pipelined:
   * a step's query may be queued behind the one before it (executePlan).
   */
  db(): Promise<DbClient> {
    this.mainClient ??= connect(this.databaseUrl, {
      ...(this.options.waitSeconds !== undefined ? { waitSeconds: this.options.waitSeconds } : {}),
      purpose: 'run',
      pipeline: true,
      ...(this.events.retrying ? { onRetry: this.events.retrying.bind(this.events) } : {}),
    });
    return this.mainClient;
  }

  /** A separate session for the advisory lock (see src/lock/advisory-lock.ts). */
  async lockDb(): Promise<DbClient> {
    // With --wait the first connection carries the retries and the lock session follows it;
    // without, both connect at once.
    if (this.waitsForServer) await this.db();
    else this.db().catch(() => undefined); // awaited (and reported) by whoever needs it
    return this.clientFor(this.databaseUrl, 'lock');
  }

  /**
   * True with --wait: the first connection may retry for a while, so callers should not start
   * connecting before they know the command can run (files read, arguments checked).
   */
  get waitsForServer(): boolean {
    return this.options.waitSeconds !== undefined;
  }

  engineUrl(name: string): string {
    const engine = this.config.engines.find((e) => e.name === name);
    return engine?.url ? validateDatabaseUrl(engine.url, `engines "${name}".url`) : this.databaseUrl;
  }

  /** One connection per database: engines that share a URL share their session (and its step guard). */
  async engineDb(name: string): Promise<Queryable> {
    const url = this.engineUrl(name);
    if (url === this.databaseUrl) return this.db();
    return this.clientFor(url, `engine:${url}`);
  }

  /**
   * The sessions that run the steps of `engines` (the main one, and one per other database), by
   * URL and backend pid: what an interrupted run ends on the server (src/run/interrupt.ts).
   */
  async stepSessions(engines: string[]): Promise<Array<{ url: string; pid: number }>> {
    const urls = [...new Set([this.databaseUrl, ...engines.map((name) => this.engineUrl(name))])];
    return Promise.all(
      urls.map(async (url) => {
        const client = (url === this.databaseUrl ? await this.db() : await this.clientFor(url, `engine:${url}`)) as DbClient & { processID?: number };
        return { url, pid: client.processID ?? 0 };
      }),
    );
  }

  /** The connections of `engines` that are not the main one, one per database, with their URL. */
  async separateEngineDbs(engines: string[]): Promise<Array<{ url: string; db: Queryable }>> {
    const main = await this.db();
    const separate = new Map<Queryable, string>();
    for (const name of engines) {
      const db = await this.engineDb(name);
      if (db !== main) separate.set(db, this.engineUrl(name));
    }
    return [...separate].map(([db, url]) => ({ url, db }));
  }

  private clientFor(url: string, key: string): Promise<DbClient> {
    let client = this.clients.get(key);
    if (!client) {
      client = connect(url, { purpose: key.startsWith('engine') ? 'run' : key });
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([this.closeConnections(), this.runSession?.closeConnections()]);
    await Promise.all([...this.adapterCache.values()].map(closeAdapter));
  }

  private async closeConnections(): Promise<void> {
    const all = [this.mainClient, ...this.clients.values()].filter(Boolean) as Promise<DbClient>[];
    await Promise.all(
      all.map(async (pending) => {
        try {
          await (await pending).end();
        } catch {
          // a client that never connected or a server that went away: nothing to close
        }
      }),
    );
  }
}
