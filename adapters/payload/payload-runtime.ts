import fs from 'node:fs';
import path from 'node:path';
import type { BatchStepResult, CreatedMigration, CreateOptions, DiscoveredMigration, StepContext } from '../../src/adapter/contract.js';
import { registerSecret } from '../../src/secrets/secret-registry.js';
import { ConfigError, RuntimeError } from '../../src/errors.js';
import type { PayloadEngineOptions } from './config.js';
import { startPayloadChild, type PayloadChild, type PayloadChildResult } from './run-payload.js';
import type { RunnerError, RunnerEvent, RunnerRequest } from './runner-protocol.js';

/** A step's error as the core reports it: Payload's (or PostgreSQL's) message, code, detail and hint. */
function stepError(error: RunnerError): Error {
  return Object.assign(new Error(error.message), {
    ...(error.code ? { code: error.code } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  });
}

type RunContext = Pick<StepContext, 'log' | 'signal' | 'afterStep' | 'lockTimeoutMs' | 'stepEnded'> & { databaseUrl?: string };

/**
 * Payload's runtime for one engine entry: a child process (payload-runner.ts) that loads Payload
 * and the config, then runs one request — a batch of migrations up or down, or a create. A child
 * may be started early (warmUp) so that loading overlaps the steps of the engines before it.
 */
export class PayloadRuntime {
  readonly dir: string;
  private readonly configPath: string;
  private readonly secret: string | undefined;
  /** A child started by warmUp, loading Payload while the core plans; used by the next request. */
  private warm: PayloadChild | undefined;

  constructor(
    private readonly options: PayloadEngineOptions & { name: string },
    configDir: string,
  ) {
    this.dir = options.migrations;
    this.configPath = path.resolve(configDir, options.config);
    this.secret = process.env[options.secretEnv];
    registerSecret(this.secret);
  }

  /** Start a child now; a missing secret or config is reported by the first request instead. */
  warmUp(databaseUrl: string, lockTimeoutMs?: number): void {
    if (this.warm) return;
    try {
      this.warm = this.startChild(databaseUrl, lockTimeoutMs);
    } catch {
      this.warm = undefined;
    }
  }

  /** Stop a warmed-up child that got no request (it has not connected to anything). */
  async close(): Promise<void> {
    const child = this.warm;
    this.warm = undefined;
    await child?.stop();
  }

  /** Exactly these migrations, in one Payload batch (up: one `payload migrate` worth of rows; down: newest first). */
  async batch(action: 'up' | 'down', migrations: DiscoveredMigration[], ctx: RunContext): Promise<BatchStepResult[]> {
    const request: RunnerRequest = {
      action,
      migrationDir: this.dir,
      schema: this.options.schema,
      migrations: migrations.map((m) => ({ name: m.id, path: m.path })),
      ...(action === 'up' && ctx.afterStep ? { pauseBetween: true } : {}),
    };
    return this.batchResults(migrations, await this.run(request, ctx));
  }

  /** Payload's own generator (a schema diff against the newest snapshot). */
  async create(name: string, createOptions: CreateOptions = {}): Promise<CreatedMigration> {
    const { name: engine, schema } = this.options;
    const result = await this.run(
      { action: 'create', migrationDir: this.dir, schema, migrationName: name, empty: createOptions.empty ?? false },
      { log: { info: () => undefined, warn: () => undefined } },
    );
    const fatal = result.events.find((e): e is Extract<RunnerEvent, { type: 'fatal' }> => e.type === 'fatal');
    if (fatal || result.abnormal) {
      throw new RuntimeError(`${engine}: Payload could not create the migration: ${fatal?.error.message ?? result.abnormal}`, fatal?.error.hint);
    }
    if (result.events.some((e) => e.type === 'empty')) {
      throw new ConfigError(
        `${engine}: no schema changes: the Payload config matches the newest migration snapshot, so no migration was written.`,
        `Run polymigrate create ${engine} ${name} --empty to write an empty migration to fill in by hand.`,
      );
    }
    const created = result.events.find((e): e is Extract<RunnerEvent, { type: 'created' }> => e.type === 'created');
    const files = (created?.files ?? []).sort();
    const migrationFile = files.find((file) => /\.(ts|js)$/.test(file) && !/^index\.(ts|js)$/.test(path.basename(file)));
    if (!migrationFile) throw new RuntimeError(`${engine}: Payload reported no migration file in ${this.dir}.`);
    return {
      id: path.basename(migrationFile).split('.')[0]!,
      files,
      notes: [`Payload also updated ${path.join(this.dir, 'index.ts')}.`, 'Check the generated up() and down() before applying.'],
    };
  }

  private payloadEnv(): Record<string, string> {
    const { name, secretEnv } = this.options;
    if (!fs.existsSync(this.configPath)) {
      throw new ConfigError(`${name}: the Payload config ${this.configPath} does not exist.`, `Fix "config" for engine "${name}" (relative to the polymigrate config file).`);
    }
    if (!this.secret) {
      throw new ConfigError(
        `${name}: ${secretEnv} is not set; Payload refuses to start without its secret.`,
        `Set ${secretEnv} in the environment${secretEnv === 'PAYLOAD_SECRET' ? '' : ' (this engine\'s "secretEnv")'}.`,
      );
    }
    return { PAYLOAD_SECRET: this.secret };
  }

  private startChild(databaseUrl: string | undefined, lockTimeoutMs: number | undefined): PayloadChild {
    return startPayloadChild({
      configPath: this.configPath,
      env: this.payloadEnv(),
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      // Payload resolves a relative migrationDir and other paths against the cwd: the config's folder.
      cwd: path.dirname(this.configPath),
    });
  }

  private async run(request: RunnerRequest, ctx: RunContext): Promise<PayloadChildResult> {
    let child = this.warm;
    this.warm = undefined;
    if (child && (child.databaseUrl !== ctx.databaseUrl || child.lockTimeoutMs !== ctx.lockTimeoutMs)) {
      void child.stop();
      child = undefined;
    }
    const started = child ?? this.startChild(ctx.databaseUrl, ctx.lockTimeoutMs);
    const pause = new PauseBetween(started, ctx.afterStep);
    const result = await started.run(request, {
      timeoutMs: this.options.timeoutSeconds * 1000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onEvent: (event: RunnerEvent) => {
        if (event.type === 'step' && event.waiting) pause.stepCommitted(event.name);
        if (event.type === 'step') ctx.stepEnded?.(event.name);
        if (event.type !== 'log') return;
        if (event.level >= 40) ctx.log.warn(event.msg);
        else ctx.log.info(event.msg);
      },
      onOutput: (line) => ctx.log.info(line),
    });
    await pause.settled();
    return result;
  }

  /**
   * Turn the child's step events into one result per migration it touched. A failure outside
   * any step (loading Payload, connecting, a timeout mid-migration) is charged to the first
   * planned migration that has no result yet: that is the one that did not get done.
   */
  private batchResults(migrations: DiscoveredMigration[], result: PayloadChildResult): BatchStepResult[] {
    const results: BatchStepResult[] = [];
    for (const event of result.events) {
      if (event.type !== 'step') continue;
      results.push({ id: event.name, ok: event.ok, durationMs: event.durationMs, ...(event.error ? { error: stepError(event.error) } : {}) });
    }
    const fatal = result.events.find((e): e is Extract<RunnerEvent, { type: 'fatal' }> => e.type === 'fatal');
    const failure = fatal ? fatal.error : result.abnormal ? { message: result.abnormal } : undefined;
    if (failure && !results.some((r) => !r.ok)) {
      const next = migrations.find((m) => !results.some((r) => r.id === m.id));
      if (!next) throw new RuntimeError(`${this.options.name}: ${failure.message}`);
      results.push({ id: next.id, ok: false, durationMs: 0, error: stepError(failure) });
    }
    return results;
  }
}

/**
 * The shadow replay's pause between Payload migrations: the child says a migration committed and
 * waits; the hook runs (it looks at the database), then the child may go on. A hook that fails
 * stops the child — the core reports the hook's error, whatever the batch reports.
 */
class PauseBetween {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly child: PayloadChild,
    private readonly afterStep: ((id: string) => Promise<void>) | undefined,
  ) {}

  stepCommitted(id: string): void {
    this.pending = this.pending.then(async () => {
      try {
        await this.afterStep?.(id);
        this.child.resume();
      } catch {
        await this.child.stop();
      }
    });
  }

  settled(): Promise<void> {
    return this.pending;
  }
}
