/** What the checkpoint choice needs to know about a replay step. */
export interface CheckpointStep {
  engine: string;
  /** The engine runs its steps in batches (Payload: one child process, seconds to start, per batch). */
  batch: boolean;
}

/** Below this many steps a replay is quick whatever happens: only the ends are kept. */
export const EVEN_SPACING_FROM = 32;

/**
 * The prefix lengths of a replay that are kept as templates (the full chain always). Why these:
 *
 * - the full chain: the next replay usually holds it all (nothing changed, or migrations were
 *   added after it), and then clones it and replays only what is new;
 * - the one before the last: the migration being written is the one edited again and again
 *   (`check` after each edit replays one migration, not the history);
 * - evenly spaced ones, every `stride` steps with stride the largest power of two up to half the
 *   length (so two or three of them): an edit anywhere replays at most one stride more than what
 *   follows the edit, and because the positions are powers of two they stay put while the history
 *   grows — 256, 512, 768 serve every length from 512 to 1023 — so a replay of an unchanged older
 *   part finds them already made instead of copying new ones. Each costs one copy of the database
 *   on the replay that makes it (the copy of a prefix is smaller than the whole), and a template's
 *   disk space until evicted.
 *
 * A position inside a run of one batch engine's steps moves back to the run's start: taking a
 * template means ending every session, so the engine would start again (Payload: seconds).
 */
export function checkpointPositions(steps: readonly CheckpointStep[]): number[] {
  const total = steps.length;
  if (total === 0) return [];
  const points = new Set<number>([total, total - 1]);
  if (total >= EVEN_SPACING_FROM) {
    const stride = 2 ** Math.floor(Math.log2(total / 2));
    for (let position = stride; position < total; position += stride) points.add(position);
  }
  const snapped = new Set<number>();
  for (const point of points) {
    const position = outOfBatchRun(point, steps);
    if (position > 0) snapped.add(position);
  }
  return [...snapped].sort((a, b) => a - b);
}

/** Move a split between two steps of the same batch engine back to before that engine's run. */
function outOfBatchRun(position: number, steps: readonly CheckpointStep[]): number {
  let p = position;
  while (p > 0 && p < steps.length && steps[p - 1]!.batch && steps[p]!.batch && steps[p - 1]!.engine === steps[p]!.engine) p -= 1;
  return p;
}
