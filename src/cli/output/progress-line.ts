import { redactSecrets } from '../../secrets/secret-registry.js';
import { SLOW_STEP_MS } from './progress-policy.js';
import type { Style } from './style.js';

/** What the live line shows, kept up to date by the run's events (progress-hook.ts). */
export interface ProgressState {
  total: number;
  /** Steps finished, whatever their outcome. */
  done: number;
  /** The step that runs now (the first one not finished, in plan order). */
  current?: { engine: string; id: string };
  /** When the first step started (ms since the epoch). */
  startedAt: number;
  /** When the current step began to be the current one. */
  currentSince: number;
}

/** Below this many columns the bar is left out: the migration's name matters more. */
const BAR_FROM_COLUMNS = 100;
const BAR_WIDTH = 20;
/** No estimate before this many steps or this much time: the first steps say little about the rest. */
const ESTIMATE_AFTER_STEPS = 3;
const ESTIMATE_AFTER_MS = 500;

/**
 * The live line for a terminal `columns` wide, e.g.
 * `  312/800 [=======>            ]  39%  12s elapsed, ~18s left  app 20260101000000_users`.
 * It never reaches the last column: a line that wraps can no longer be cleared with one `\r`.
 * The counters come first and the migration's name last, so a narrow terminal cuts the name.
 */
export function progressLine(state: ProgressState, now: number, columns: number, s: Style): string {
  const room = Math.max(0, columns - 1);
  const { done, total } = state;
  const counter = `${String(done).padStart(String(total).length)}/${total}`;
  const bar = room >= BAR_FROM_COLUMNS ? ` ${progressBar(done, total)}` : '';
  const percent = `${String(Math.floor((done * 100) / Math.max(total, 1))).padStart(3)}%`;
  const times = `${clock(now - state.startedAt)} elapsed, ${estimate(state, now)}`;
  const head = `  ${counter}${bar} ${percent}  ${times}`;
  // Only digits and fixed words so far: its length is its width.
  if (head.length > room) return head.slice(0, room);
  const styledHead = `  ${s.bold(counter)}${bar} ${percent}  ${s.dim(times)}`;
  if (!state.current) return styledHead;
  const running = now - state.currentSince >= SLOW_STEP_MS ? `  running ${clock(now - state.currentSince)}` : '';
  const nameRoom = room - head.length - 2 - running.length;
  if (nameRoom < 8) return styledHead;
  // The only text that does not come from here: masked like every other output.
  const name = redactSecrets(`${state.current.engine} ${state.current.id}`);
  return `${styledHead}  ${truncate(name, nameRoom)}${running ? s.yellow(running) : ''}`;
}

/** [=======>            ] */
function progressBar(done: number, total: number): string {
  const filled = Math.min(BAR_WIDTH, Math.floor((done * BAR_WIDTH) / Math.max(total, 1)));
  if (filled === BAR_WIDTH) return `[${'='.repeat(BAR_WIDTH)}]`;
  return `[${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}]`;
}

/** "~18s left": the mean time per finished step so far, times the steps still to run. */
function estimate(state: ProgressState, now: number): string {
  const elapsed = now - state.startedAt;
  if (state.done < ESTIMATE_AFTER_STEPS || elapsed < ESTIMATE_AFTER_MS) return 'estimating';
  const left = (elapsed / state.done) * (state.total - state.done);
  return left < 1000 ? 'under 1s left' : `~${clock(left)} left`;
}

/** Whole seconds (a tenth would flicker on every redraw): 7s, 1m 05s, 2h 03m. */
export function clock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Cut text to `columns` terminal cells. Anything beyond ASCII counts as two cells: a wide
 * character counted as one would push the line past the edge, and a wrapped line cannot be
 * cleared; counting a narrow one as two only cuts a little early.
 */
export function truncate(text: string, columns: number): string {
  if (cells(text) <= columns) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const width = char.charCodeAt(0) < 0x80 ? 1 : 2;
    if (used + width > columns - 3) break;
    out += char;
    used += width;
  }
  return `${out}...`;
}

export function cells(text: string): number {
  let n = 0;
  for (const char of text) n += char.charCodeAt(0) < 0x80 ? 1 : 2;
  return n;
}
