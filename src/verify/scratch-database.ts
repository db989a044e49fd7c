/**
 * A shadow database that `check` moves forwards and backwards one migration at a time, with the
 * very operations a user runs — `up --to ENGINE:ID` and `down --engine ENGINE --steps 1` — on a
 * Session pointed at it (the shadow's config: every engine on the shadow, no live URL anywhere).
 * It knows how many migrations of the replay order it holds (`position`), and can be thrown away
 * and rebuilt from an empty database when a down left it in a state nothing can continue from.
 */
import type { MigrationAdapter } from '../adapter/contract.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { connect, type DbClient } from '../db/connect.js';
import { InterruptedError } from '../errors.js';
import { down } from '../operations/down.js';
import type { RunReport } from '../operations/reports.js';
import { up } from '../operations/up.js';
import type { StepErrorInfo } from '../run/step-result.js';
import type { SchemaExclusions } from '../schema/exclusions.js';
import { introspectSchema } from '../schema/introspect.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { Session } from '../session.js';
import type { Replay, Shadow, ShadowStepRef } from '../shadow/shadow.js';

/** A migration that did not run: which one, and why. */
export interface StepFailure extends ShadowStepRef {
  error: StepErrorInfo;
}

export interface ScratchParts {
  shadow: Shadow;
  /** The shadow's config (shadowConfig): engines without a url of their own. */
  config: ResolvedConfig;
  adapters: Map<string, MigrationAdapter>;
  exclude: SchemaExclusions;
  /** Every migration, in the order `up` applies them on an empty database. */
  order: ShadowStepRef[];
  signal: AbortSignal | undefined;
}

export class ScratchDatabase {
  /** How many migrations of `order` the database holds. */
  position = 0;
  private constructor(
    private readonly parts: ScratchParts,
    private readonly replay: Replay,
    private readonly session: Session,
    private readonly client: DbClient,
  ) {}

  /** A new empty database on the shadow server (an empty replay gives one, with its clean-up). */
  static async create(parts: ScratchParts): Promise<ScratchDatabase> {
    const replay = await parts.shadow.replay({ only: new Map() });
    const url = replay.databaseUrl;
    const session = new Session({ config: { ...parts.config, databaseUrl: url }, databaseUrl: url }, new Map(parts.adapters));
    try {
      return new ScratchDatabase(parts, replay, session, await connect(url, { purpose: 'check' }));
    } catch (error) {
      await replay.drop().catch(() => undefined);
      throw error;
    }
  }

  /** Apply every migration of `order` before index `length` that is not there yet, in one `up` run. */
  async upTo(length: number): Promise<StepFailure | undefined> {
    if (this.position >= length) return undefined;
    const target = this.parts.order[length - 1]!;
    const report = await up(this.session, { to: target, ...this.signalOption() });
    const failure = this.failureOf(report, 'applied');
    if (!failure) this.position = length;
    return failure;
  }

  /** Revert the newest migration (it must be `order[position - 1]`) with its down. */
  async downOne(): Promise<StepFailure | undefined> {
    const step = this.parts.order[this.position - 1]!;
    const report = await down(this.session, { engine: step.engine, steps: 1, ...this.signalOption() });
    const failure = this.failureOf(report, 'reverted');
    if (failure) return failure;
    const reverted = report.results.filter((r) => r.status === 'reverted');
    if (reverted.length !== 1 || reverted[0]!.id !== step.id) {
      const what = reverted.map((r) => r.id).join(', ') || 'nothing';
      return { ...step, error: { message: `internal: down --engine ${step.engine} --steps 1 reverted ${what}, not ${step.id}${report.plan.stop ? ` (${report.plan.stop.reason})` : ''}.` } };
    }
    this.position -= 1;
    return undefined;
  }

  /** The schema as it is now, the engines' history tables and polymigrate's journal left out. */
  schema(): Promise<SchemaModel> {
    return introspectSchema(this.client, { exclude: this.parts.exclude });
  }

  async drop(): Promise<void> {
    await this.client.end().catch(() => undefined);
    await this.session.close().catch(() => undefined);
    await this.replay.drop().catch(() => undefined);
  }

  private signalOption(): { signal?: AbortSignal } {
    return this.parts.signal ? { signal: this.parts.signal } : {};
  }

  /** The step that failed, the first refusal (a file that cannot run as written), or undefined. */
  private failureOf(report: RunReport, done: 'applied' | 'reverted'): StepFailure | undefined {
    if (report.outcome === 'interrupted') throw new InterruptedError(report.interruptedBy ?? 'SIGINT', 'during the check (the shadow database is dropped)');
    const refusal = report.plan.refusals[0];
    if (report.outcome === 'refused' && refusal) {
      return { engine: refusal.engine, id: refusal.id ?? '', error: { message: refusal.message, hint: refusal.fix } };
    }
    const failed = report.results.find((r) => r.status !== done);
    if (!failed) return undefined;
    return { engine: failed.engine, id: failed.id, error: failed.error ?? { message: `${failed.direction} ${failed.status}` } };
  }
}
