import type { Blocks, LockMode } from './types.js';

/**
 * PostgreSQL's table-level lock modes and what each one makes other sessions wait for (the
 * "Conflicting Lock Modes" table of the manual, chapter Explicit Locking).
 *
 * Everyday traffic takes three of them: a plain SELECT takes ACCESS SHARE, SELECT … FOR
 * UPDATE/SHARE takes ROW SHARE, INSERT/UPDATE/DELETE/MERGE take ROW EXCLUSIVE. A lock blocks reads
 * when it conflicts with ACCESS SHARE (only ACCESS EXCLUSIVE does), and writes when it conflicts
 * with ROW EXCLUSIVE (SHARE and stronger). SHARE UPDATE EXCLUSIVE (VACUUM, CREATE INDEX
 * CONCURRENTLY, VALIDATE CONSTRAINT) blocks neither: only other DDL and maintenance.
 */
export const LOCK_MODES: readonly LockMode[] = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ExclusiveLock: ['RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  AccessExclusiveLock: LOCK_MODES,
};

export function isLockMode(value: string): value is LockMode {
  return (LOCK_MODES as readonly string[]).includes(value);
}

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

export function blocksOf(mode: LockMode): Blocks {
  return { reads: conflicts(mode, 'AccessShareLock'), writes: conflicts(mode, 'RowExclusiveLock') };
}

/** A lock that makes everyday reads or writes wait (Eugene calls these "dangerous"). */
export function blocksTraffic(mode: LockMode): boolean {
  const blocks = blocksOf(mode);
  return blocks.reads || blocks.writes;
}

export function strength(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

export function strongest<T extends { mode: LockMode }>(locks: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const lock of locks) if (!best || strength(lock.mode) > strength(best.mode)) best = lock;
  return best;
}

/** "ACCESS EXCLUSIVE" for AccessExclusiveLock, as the manual names it. */
export function modeLabel(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** "every read and write", "every write (reads go on)", "other DDL only". */
export function blockedTraffic(blocks: Blocks): string {
  if (blocks.reads && blocks.writes) return 'every read and write';
  if (blocks.writes) return 'every write (reads go on)';
  if (blocks.reads) return 'every read';
  return 'no reads or writes (only other DDL and maintenance)';
}
