/**
 * The heart of `check`: walk the replay order on one scratch database; for every migration whose
 * down is to be checked, take the schema right before it, apply it, run its down, take the schema
 * again and compare, then apply it again and go on. Migrations without a down are applied in one
 * `up` run together with the next one that has (or at the end), so a history of hundreds of plain
 * files costs what a replay costs.
 *
 * When a down fails, or the migration cannot be applied again after its down (it forgot to drop
 * something the up creates), the database is in a state the rest of the history was never meant to
 * run on: it is dropped and rebuilt from empty up to the migration (those steps already succeeded
 * once), and the walk goes on from there.
 */
import { RuntimeError } from '../errors.js';
import type { CheckedMigration } from '../operations/check-report.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { downDifferences } from './down-differences.js';
import { ScratchDatabase, type ScratchParts, type StepFailure } from './scratch-database.js';

export interface CheckStep {
  engine: string;
  id: string;
  hasDown: boolean;
  /** Its down is checked: it has one, and its engine is selected. */
  checked: boolean;
}

export interface DownChecks {
  migrations: CheckedMigration[];
  /** The migration that failed on the fresh replay (nothing after it was checked). */
  failed?: StepFailure;
  rebuilds: number;
}

export async function runDownChecks(parts: ScratchParts, steps: CheckStep[]): Promise<DownChecks> {
  const walk = new Walk(parts, await ScratchDatabase.create(parts));
  try {
    return await walk.run(steps);
  } finally {
    await walk.db.drop();
  }
}

class Walk {
  rebuilds = 0;
  constructor(
    private readonly parts: ScratchParts,
    public db: ScratchDatabase,
  ) {}

  async run(steps: CheckStep[]): Promise<DownChecks> {
    const migrations: CheckedMigration[] = [];
    for (const [index, step] of steps.entries()) {
      const { engine, id, hasDown } = step;
      if (!step.checked) {
        migrations.push({ engine, id, hasDown, result: hasDown ? 'not-selected' : 'no-down', differences: [] });
        continue;
      }
      const state = (await this.db.upTo(index)) ?? (await this.schemaAround(index));
      if ('error' in state) return this.stopped(migrations, steps, state);
      migrations.push(await this.checkDown(step, index, state.before));
    }
    const failed = await this.db.upTo(steps.length);
    return failed ? this.stopped(migrations, steps, failed) : { migrations, rebuilds: this.rebuilds };
  }

  /** The schema before `steps[index]`, then the migration applied. */
  private async schemaAround(index: number): Promise<StepFailure | { before: SchemaModel }> {
    const before = await this.db.schema();
    return (await this.db.upTo(index + 1)) ?? { before };
  }

  /** Down, compare with `before`, up again (the database ends holding the migration either way). */
  private async checkDown(step: CheckStep, index: number, before: SchemaModel): Promise<CheckedMigration> {
    const { engine, id, hasDown } = step;
    const downFailure = await this.db.downOne();
    if (downFailure) {
      await this.rebuild(index + 1);
      return { engine, id, hasDown, result: 'down-failed', differences: [], error: downFailure.error };
    }
    const differences = downDifferences(before, await this.db.schema(), this.parts.exclude);
    const again = await this.db.upTo(index + 1);
    if (again) await this.rebuild(index + 1);
    if (differences.length > 0) return { engine, id, hasDown, result: 'forgets', differences, ...(again ? { error: again.error } : {}) };
    return again ? { engine, id, hasDown, result: 'reapply-failed', differences, error: again.error } : { engine, id, hasDown, result: 'restores', differences };
  }

  /** A new empty database brought to `length` migrations (they all succeeded once already). */
  private async rebuild(length: number): Promise<void> {
    await this.db.drop();
    this.db = await ScratchDatabase.create(this.parts);
    this.rebuilds += 1;
    const failed = await this.db.upTo(length);
    if (failed) {
      throw new RuntimeError(`${failed.engine} ${failed.id} failed when the shadow was rebuilt, after it had succeeded on the same files: ${failed.error.message}`);
    }
  }

  /** The replay stopped at `failed`: what was found before it stands, nothing from it on was checked. */
  private stopped(migrations: CheckedMigration[], steps: CheckStep[], failed: StepFailure): DownChecks {
    const at = steps.findIndex((s) => s.engine === failed.engine && s.id === failed.id);
    return { migrations: at < 0 ? migrations : migrations.slice(0, at), failed, rebuilds: this.rebuilds };
  }
}
