import { EventEmitter } from 'node:events';
import type { CreatedMigration, CreateOptions } from '../adapter/contract.js';
import { create } from '../operations/create.js';
import { resolve } from '../operations/resolve.js';
import {
  baselineDocument,
  checkDocument,
  runDocument,
  statusDocument,
  verifyDocument,
  type BaselineDocument,
  type CheckDocument,
  type RunDocument,
  type SkippedDocument,
  type StatusDocument,
  type VerifyDocument,
} from '../report/documents.js';
import type { CheckOptions } from '../operations/check-report.js';
import { down } from '../operations/down.js';
import { skipReason } from '../operations/skip-switch.js';
import { status } from '../operations/status.js';
import { up } from '../operations/up.js';
import type { BaselineOptions, DownCommandOptions, StatusOptions, UpCommandOptions, VerifyOptions } from '../operations/reports.js';
import type { Plan, PlannedStep } from '../plan/plan-types.js';
import type { StepResult } from '../run/step-result.js';
import { Session } from '../session.js';
import { resolveConfigInput, type ConfigInput } from './config-input.js';

export interface PolymigrateOptions {
  /** A config object (paths relative to `cwd`), a config file path, or omitted (found from `cwd` upwards). */
  config?: ConfigInput;
  cwd?: string;
  /** Overrides the config's databaseUrl and DATABASE_URL. */
  databaseUrl?: string;
  /** Like --direct-url: the URL up and down run on (default: the config's directUrl, else DIRECT_URL with DATABASE_URL). */
  directUrl?: string;
  /** Retry the first connection for this long (like --wait). */
  waitSeconds?: number;
  lockTimeoutSeconds?: number;
  /** Honour POLYMIGRATE_SKIP and friends in up() (default true, as the CLI does). */
  respectSkipSwitches?: boolean;
}

/** Progress events, the library's counterpart of the CLI's output. */
export interface PolymigrateEvents {
  plan: [plan: Plan, dryRun: boolean];
  'step:start': [step: PlannedStep];
  'step:finish': [result: StepResult];
  'lock:wait': [holder: string];
  /** A line an engine printed while running a step. */
  log: [entry: { level: 'info' | 'warn'; engine: string; migration?: string; message: string }];
}

/**
 * The library API — the one facade of the package root: the CLI's operations with the same
 * options, returning the same documents as its `--json` (src/report/documents.ts), with progress
 * as events. Call `close()` when done (it closes connections).
 */
export class Polymigrate extends EventEmitter<PolymigrateEvents> {
  private constructor(
    private readonly session: Session,
    private readonly options: PolymigrateOptions,
  ) {
    super();
  }

  static async create(options: PolymigrateOptions = {}): Promise<Polymigrate> {
    const config = await resolveConfigInput(options.config, options.cwd);
    let instance: Polymigrate | undefined;
    const session = new Session({
      config,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.directUrl ? { directUrl: options.directUrl } : {}),
      ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
      ...(options.lockTimeoutSeconds !== undefined ? { lockTimeoutSeconds: options.lockTimeoutSeconds } : {}),
      events: {
        planReady: (plan, dryRun) => instance?.emit('plan', plan, dryRun),
        stepStarted: (step) => instance?.emit('step:start', step),
        stepFinished: (result) => instance?.emit('step:finish', result),
        lockWaiting: (holder) => instance?.emit('lock:wait', holder),
        engineOutput: (step, level, message) => instance?.emit('log', { level, engine: step.engine, ...(step.id ? { migration: step.id } : {}), message }),
      },
    });
    instance = new Polymigrate(session, options);
    return instance;
  }

  async status(options: StatusOptions = {}): Promise<StatusDocument> {
    return statusDocument(await status(this.session, options));
  }

  async up(options: UpCommandOptions = {}): Promise<RunDocument | SkippedDocument> {
    const skip = this.options.respectSkipSwitches === false ? undefined : skipReason();
    if (skip) return { version: 1, command: 'up', outcome: 'skipped', reason: skip };
    return runDocument(await up(this.session, options));
  }

  async down(options: DownCommandOptions = {}): Promise<RunDocument> {
    return runDocument(await down(this.session, options));
  }

  /**
   * Compare the database with a shadow replay of exactly its applied migrations (like `polymigrate
   * verify`): `matches`, and each difference with the migration that owns the object.
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyDocument> {
    // Loaded on use: the shadow and the schema model are for verify alone.
    const { verify } = await import('../operations/verify.js');
    return verifyDocument(await verify(this.session, options));
  }

  /**
   * Record `engine`'s migrations (up to `options.to`) as applied on a database whose schema was
   * made without them, when the objects they make match a shadow replay (like `polymigrate
   * baseline`): `outcome` 'differences' means nothing was written.
   */
  async baseline(engine: string, options: BaselineOptions = {}): Promise<BaselineDocument> {
    const { baseline } = await import('../operations/baseline.js');
    return baselineDocument(await baseline(this.session, engine, options));
  }

  /**
   * Are the migrations sound (like `polymigrate check`)? Replays every engine's migrations into a
   * fresh shadow database and runs up → down → up for every migration with a down: `sound`, and
   * each down that does not restore the schema. Reads no live database: `databaseUrl` is not needed.
   */
  async check(options: CheckOptions = {}): Promise<CheckDocument> {
    const { check } = await import('../operations/check.js');
    return checkDocument(await check(this.session, options));
  }

  /** A new migration in the engine's own conventions (like `polymigrate create`); touches no database. */
  async create(engine: string, name: string, options: CreateOptions = {}): Promise<CreatedMigration> {
    return create(this.session, engine, name, options);
  }

  /** Repair a failed migration's history the way the engine's own tooling would (like `polymigrate resolve`). */
  async resolve(engine: string, id: string, mark: 'applied' | 'rolled-back'): Promise<string> {
    return resolve(this.session, engine, id, mark);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

export function createPolymigrate(options: PolymigrateOptions = {}): Promise<Polymigrate> {
  return Polymigrate.create(options);
}
