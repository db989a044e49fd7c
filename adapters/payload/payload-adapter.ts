import fs from 'node:fs';
import path from 'node:path';
import type {
  BatchStepResult, DiscoveredMigration, MigrationAdapter, StepContext,
} from '../../src/adapter/contract.js';
import type { AdapterEnvironment } from '../../src/adapter/descriptor.js';
import { registerSecret } from '../../src/secrets/secret-registry.js';
import { ConfigError, RuntimeError } from '../../src/errors.js';
import { reconcileById } from '../../src/status/reconcile.js';
import type { PayloadEngineOptions } from './config.js';
import { discoverPayloadMigrations } from './payload-files.js';
import { isDevPushMarker, payloadProblems, readPayloadHistory } from './payload-history.js';
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

/**
 * Payload CMS migrations, run by Payload's own runtime in a child process (payload-runner.ts).
 * Status and plans never load Payload: files are listed like Payload lists them and
 * payload_migrations is read directly. Only apply, revert and create start Payload, once per
 * batch of steps (loading it costs seconds); up and down start it as soon as the plan holds
 * Payload steps (warmUp), so that loading overlaps the steps of the engines before it.
 */
export function createPayloadAdapter(env: AdapterEnvironment): MigrationAdapter {
  const options = env.options as unknown as PayloadEngineOptions & { name: string };
  const dir = options.migrations;
  const configPath = path.resolve(env.configDir, options.config);
  const secret = process.env[options.secretEnv];
  registerSecret(secret);

  function payloadEnv(): Record<string, string> {
    if (!fs.existsSync(configPath)) {
      throw new ConfigError(`${options.name}: the Payload config ${configPath} does not exist.`,
        `Fix "config" for engine "${options.name}" (relative to the polymigrate config file).`);
    }
    if (!secret) {
      throw new ConfigError(`${options.name}: ${options.secretEnv} is not set; Payload refuses to start without its secret.`,
        `Set ${options.secretEnv} in the environment${options.secretEnv === 'PAYLOAD_SECRET' ? '' : ' (this engine\'s "secretEnv")'}.`);
    }
    return { PAYLOAD_SECRET: secret };
  }

  const startChild = (databaseUrl: string | undefined): PayloadChild => startPayloadChild({
    configPath,
    env: payloadEnv(),
    ...(databaseUrl ? { databaseUrl } : {}),
    // Payload resolves a relative migrationDir and other paths against the cwd: the config's folder.
    cwd: path.dirname(configPath),
  });

  /** A child started by warmUp, loading Payload while the core plans; used by the next batch. */
  let warm: PayloadChild | undefined;

  function run(request: RunnerRequest, ctx: Pick<StepContext, 'log' | 'signal'> & { databaseUrl?: string }): Promise<PayloadChildResult> {
    let child = warm;
    warm = undefined;
    if (child && child.databaseUrl !== ctx.databaseUrl) {
      void child.stop();
      child = undefined;
    }
    child ??= startChild(ctx.databaseUrl);
    return child.run(request, {
      timeoutMs: options.timeoutSeconds * 1000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onEvent: (event: RunnerEvent) => {
        if (event.type === 'log') (event.level >= 40 ? ctx.log.warn : ctx.log.info)(event.msg);
      },
      onOutput: (line) => ctx.log.info(line),
    });
  }

  /**
   * Turn the child's step events into one result per migration it touched. A failure outside
   * any step (loading Payload, connecting, a timeout mid-migration) is charged to the first
   * planned migration that has no result yet: that is the one that did not get done.
   */
  function batchResults(migrations: DiscoveredMigration[], result: PayloadChildResult): BatchStepResult[] {
    const results: BatchStepResult[] = [];
    for (const event of result.events) {
      if (event.type !== 'step') continue;
      results.push({ id: event.name, ok: event.ok, durationMs: event.durationMs, ...(event.error ? { error: stepError(event.error) } : {}) });
    }
    const fatal = result.events.find((e): e is Extract<RunnerEvent, { type: 'fatal' }> => e.type === 'fatal');
    const failure = fatal ? fatal.error : result.abnormal ? { message: result.abnormal } : undefined;
    if (failure && !results.some((r) => !r.ok)) {
      const next = migrations.find((m) => !results.some((r) => r.id === m.id));
      if (next) {
        results.push({ id: next.id, ok: false, durationMs: 0, error: stepError(failure) });
      } else {
        throw new RuntimeError(`${options.name}: ${failure.message}`);
      }
    }
    return results;
  }

  const request = (action: 'up' | 'down', migrations: DiscoveredMigration[]): RunnerRequest => ({
    action, migrationDir: dir, schema: options.schema,
    migrations: migrations.map((m) => ({ name: m.id, path: m.path })),
  });

  return {
    name: options.name,
    kind: 'payload',
    location: dir,
    // Payload runs each migration in its own transaction: the core must not open one.
    capabilities: { rollback: 'native', transactional: false, granularity: 'batch' },

    /**
     * Start the child now: loading Payload and the config takes seconds, and needs nothing from
     * the database. It connects only when applyBatch/revertBatch sends the request. A missing
     * secret or config is not reported here but by that step, as without a warm-up.
     */
    warmUp({ databaseUrl }) {
      if (warm) return;
      try {
        warm = startChild(databaseUrl);
      } catch {
        warm = undefined;
      }
    },

    /** Stop a warmed-up child that got no request (it has not connected to anything). */
    async close() {
      const child = warm;
      warm = undefined;
      await child?.stop();
    },

    async discover() {
      return discoverPayloadMigrations(dir, options.name);
    },
    readHistory: (db) => readPayloadHistory(db, options.schema),
    reconcile: (discovered, history) => reconcileById(discovered, history.filter((entry) => !isDevPushMarker(entry))),
    problems: (history) => payloadProblems(history, options.name, options.schema),

    /** All planned migrations in one Payload batch (one `payload migrate` worth of rows). */
    async applyBatch(migrations, ctx) {
      return batchResults(migrations, await run(request('up', migrations), ctx));
    },

    /** Exactly the planned migrations, newest first (the order the core hands them over). */
    async revertBatch(migrations, ctx) {
      return batchResults(migrations, await run(request('down', migrations), ctx));
    },

    async create(name, createOptions = {}) {
      const result = await run(
        { action: 'create', migrationDir: dir, schema: options.schema, migrationName: name, empty: createOptions.empty ?? false },
        { log: { info: () => undefined, warn: () => undefined } },
      );
      const fatal = result.events.find((e): e is Extract<RunnerEvent, { type: 'fatal' }> => e.type === 'fatal');
      if (fatal || result.abnormal) {
        throw new RuntimeError(`${options.name}: Payload could not create the migration: ${fatal?.error.message ?? result.abnormal}`,
          fatal?.error.hint);
      }
      if (result.events.some((e) => e.type === 'empty')) {
        throw new ConfigError(`${options.name}: no schema changes: the Payload config matches the newest migration snapshot, so no migration was written.`,
          `Run polymigrate create ${options.name} ${name} --empty to write an empty migration to fill in by hand.`);
      }
      const created = result.events.find((e): e is Extract<RunnerEvent, { type: 'created' }> => e.type === 'created');
      const files = (created?.files ?? []).sort();
      const migrationFile = files.find((file) => /\.(ts|js)$/.test(file) && !/^index\.(ts|js)$/.test(path.basename(file)));
      if (!migrationFile) throw new RuntimeError(`${options.name}: Payload reported no migration file in ${dir}.`);
      return {
        id: path.basename(migrationFile).split('.')[0]!,
        files,
        notes: [`Payload also updated ${path.join(dir, 'index.ts')}.`, 'Check the generated up() and down() before applying.'],
      };
    },

    rollbackHint(migration, id) {
      if (!migration) {
        return `The file of ${id} is missing from ${dir}, and its down() lives in it: restore the file (e.g. from git) and run polymigrate down again, `
          + `or undo its changes by hand and delete its row: DELETE FROM payload_migrations WHERE name = '${id}';`;
      }
      return `Payload migrations carry their own down(): fix the down() in ${migration.path} and run polymigrate down again.`;
    },
  };
}
