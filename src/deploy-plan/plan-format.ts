import type { RelationSize } from './types.js';

/**
 * Numbers as a person reads them in a deploy report: "≈48 M rows", "12 GB", "4 min 12 s". Pure.
 */

function formatRows(rows: number): string {
  if (rows < 1_000) return `${Math.round(rows)} row${Math.round(rows) === 1 ? '' : 's'}`;
  if (rows < 1_000_000) return `≈${trim(rows / 1_000)} k rows`;
  if (rows < 1_000_000_000) return `≈${trim(rows / 1_000_000)} M rows`;
  return `≈${trim(rows / 1_000_000_000)} G rows`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : trim(value)} ${units[unit]}`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** "≈48 M rows, 12 GB" — what the live catalog says about a relation; "not in the live database yet" when it is new. */
export function formatSize(size: RelationSize | undefined): string | undefined {
  if (!size) return undefined;
  if (!size.exists) return 'new: not in the live database yet';
  const parts = [size.rows !== undefined ? formatRows(size.rows) : 'rows not estimated yet (never analyzed)'];
  if (size.totalBytes !== undefined) parts.push(formatBytes(size.totalBytes));
  return parts.join(', ');
}

function trim(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value >= 10 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
}
