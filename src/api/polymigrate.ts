import { EventEmitter } from 'node:events';
import { statusJson, runJson } from '../cli/output/json-report.js';
import { down, type DownCommandOptions } from '../operations/down.js';
import { skipReason } from '../operations/skip-switch.js';
import { status, type StatusOptions } from '../operations/status.js';
import { up, type UpCommandOptions } from '../operations/up.js';
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

export type StatusDocument = ReturnType<typeof statusJson>;
export type RunDocument = ReturnType<typeof runJson> | { version: 1; command: 'up'; outcome: 'skipped'; reason: string };

/**
 * The library API: the CLI's operations with the same options, returning the same documents as
 * its `--json`, with progress as events. Call `close()` when done (it closes connections).
 */
export class Polymigrate extends EventEmitter<PolymigrateEvents> {
  private constructor(private readonly session: Session, private readonly options: PolymigrateOptions) {
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
    return statusJson(await status(this.session, options));
  }

  async up(options: UpCommandOptions = {}): Promise<RunDocument> {
    const skip = this.options.respectSkipSwitches === false ? undefined : skipReason();
    if (skip) return { version: 1, command: 'up', outcome: 'skipped', reason: skip };
    return runJson(await up(this.session, options));
  }

  async down(options: DownCommandOptions = {}): Promise<RunDocument> {
    return runJson(await down(this.session, options));
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

export function createPolymigrate(options: PolymigrateOptions = {}): Promise<Polymigrate> {
  return Polymigrate.create(options);
}
