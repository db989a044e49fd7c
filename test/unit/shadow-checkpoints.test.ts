import { describe, expect, it } from 'vitest';
import { checkpointPositions, EVEN_SPACING_FROM, type CheckpointStep } from '../../src/shadow/checkpoints.js';

const sql = (n: number): CheckpointStep[] => Array.from({ length: n }, () => ({ engine: 'app', batch: false }));

describe('checkpointPositions (which replayed prefixes the shadow keeps as templates)', () => {
  it('keeps nothing for an empty replay, and the whole chain and the one before it for a short one', () => {
    expect(checkpointPositions([])).toEqual([]);
    expect(checkpointPositions(sql(1))).toEqual([1]);
    expect(checkpointPositions(sql(12))).toEqual([11, 12]);
    expect(checkpointPositions(sql(EVEN_SPACING_FROM - 1))).toEqual([EVEN_SPACING_FROM - 2, EVEN_SPACING_FROM - 1]);
  });

  it('adds two or three evenly spaced ones at multiples of a power of two, which stay put while the history grows', () => {
    expect(checkpointPositions(sql(800))).toEqual([256, 512, 768, 799, 800]);
    expect(checkpointPositions(sql(801))).toEqual([256, 512, 768, 800, 801]);
    expect(checkpointPositions(sql(1023))).toEqual([256, 512, 768, 1022, 1023]);
    expect(checkpointPositions(sql(1024))).toEqual([512, 1023, 1024]);
    expect(checkpointPositions(sql(32))).toEqual([16, 31, 32]);
  });

  it("moves a position inside one batch engine's run of steps back to before the run (a template ends every session: the engine would start again)", () => {
    const steps: CheckpointStep[] = [...sql(9), { engine: 'cms', batch: true }, { engine: 'cms', batch: true }, { engine: 'cms', batch: true }];
    // 11 (before the last cms step) moves to 9 (before the first).
    expect(checkpointPositions(steps)).toEqual([9, 12]);
    const between: CheckpointStep[] = [
      { engine: 'cms', batch: true },
      { engine: 'other', batch: true },
    ];
    expect(checkpointPositions(between)).toEqual([1, 2]);
    expect(
      checkpointPositions([
        { engine: 'cms', batch: true },
        { engine: 'cms', batch: true },
      ]),
    ).toEqual([2]);
  });
});
