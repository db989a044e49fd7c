import { describe, expect, it } from 'vitest';
import { sortPrismaFolders } from '../../adapters/prisma/prisma-migrations-folder.js';

/** The order the Prisma CLI uses: every name compared with localeCompare. */
const prismaOrder = (names: string[]) => [...names].sort((a, b) => a.localeCompare(b));

/** Deterministic pseudo-random numbers (the same names on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SUFFIX_CHARS = ['a', 'B', 'z', 'Z', '_', '-', '0', '9', 'é', 'É', ' ', '.'];

function suffix(next: () => number): string {
  const length = 1 + Math.floor(next() * 8);
  return Array.from({ length }, () => SUFFIX_CHARS[Math.floor(next() * SUFFIX_CHARS.length)]).join('');
}

describe("sortPrismaFolders (Prisma's folder order)", () => {
  it('matches localeCompare when distinct timestamps decide (any suffix: case, "_", accents)', () => {
    const next = random(7);
    for (let round = 0; round < 200; round += 1) {
      const stamps = new Set<string>();
      while (stamps.size < 12) stamps.add(String(20200101000000 + Math.floor(next() * 1e9)));
      const names = [...stamps].map((stamp) => `${stamp}_${suffix(next)}`);
      expect(sortPrismaFolders(names)).toEqual(prismaOrder(names));
    }
  });

  it('matches localeCompare where the timestamps do not decide: shared, of different widths, or missing', () => {
    const cases = [
      ['20260101000000_b', '20260101000000_A', '20260101000000_a', '20260101000000__x'],
      ['2026_a', '20261_a', '202601_b', '9_z'],
      ['init', 'Init', '_setup', '0001_first', 'add-users'],
      ['20260101000000_users', '20260101000000-users', '20260101000000users'],
    ];
    for (const names of cases) expect(sortPrismaFolders(names)).toEqual(prismaOrder(names));
    const next = random(11);
    for (let round = 0; round < 200; round += 1) {
      const names = Array.from({ length: 8 }, () => `${String(Math.floor(next() * 40)).padStart(1 + Math.floor(next() * 3), '0')}${suffix(next)}`);
      expect(sortPrismaFolders(names)).toEqual(prismaOrder(names));
    }
  });

  it('leaves its input alone', () => {
    const names = ['20260102000000_b', '20260101000000_a'];
    sortPrismaFolders(names);
    expect(names).toEqual(['20260102000000_b', '20260101000000_a']);
  });
});
