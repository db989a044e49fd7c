import type { Direction, DiscoveredMigration } from '../adapter/contract.js';

export interface PlannedStep {
  engine: string;
  kind: string;
  id: string;
  direction: Direction;
  migration: DiscoveredMigration;
  /** Shown next to the step in the plan (e.g. "outside a transaction"). */
  note?: string;
}

/** A rule that stops the whole command before anything changes (exit 5). */
export interface Refusal {
  engine: string;
  id?: string;
  message: string;
  /** The command or action that resolves it. */
  fix: string;
}

/** `down` stops at the first step it cannot revert. */
export interface DownStop {
  engine: string;
  id: string;
  reason: string;
  /** The engine's manual recipe for undoing it. */
  hint: string;
  /** Everything the down would have reverted but leaves applied: this step and older ones. */
  leftInPlace: Array<{ engine: string; id: string }>;
}

export interface Plan {
  direction: Direction;
  steps: PlannedStep[];
  refusals: Refusal[];
  warnings: string[];
  /** Only for down. */
  stop?: DownStop;
}
