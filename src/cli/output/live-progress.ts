import { progressLine, type ProgressState } from './progress-line.js';
import type { Style } from './style.js';

/**
 * One line at the bottom of the terminal, redrawn in place, with everything that must stay
 * (a failed or slow step, a warning, an engine's output) written above it. Loaded only when a run
 * qualifies (progress-policy.ts), so `status`, `--help` and short runs never pay for it.
 *
 * Written here rather than taken from a library: log-update needs Node 22 (polymigrate supports
 * 20.19) and took 65–80 ms to load; cli-progress (12–14 ms) writes to its stream directly, past
 * the masking every output goes through, can print nothing above a single bar, and cuts a line
 * through its colour codes. What is needed is three escape sequences and a timer.
 */

/** Carriage return, then erase the whole line: the cursor is back in column 0 of an empty line. */
const CLEAR_LINE = '\r\u001b[2K';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
/**
 * How often the line may be redrawn. A fast run finishes hundreds of steps a second: drawing each
 * would cost more than the steps. The timer also keeps the clocks moving during a long step.
 */
const FRAME_MS = 100;

export interface LiveProgress {
  /** The state changed: redraw now, unless the last frame was less than FRAME_MS ago. */
  changed(): void;
  /** Write what must stay on screen (through `write`), above the live line. */
  above(write: () => void): void;
  /** Clear the line and show the cursor again; nothing is drawn after this. */
  stop(): void;
}

export function startLiveProgress(stream: NodeJS.WriteStream, state: () => ProgressState, style: Style): LiveProgress {
  let shown = '';
  let lastFrame = 0;
  let stopped = false;

  const draw = () => {
    if (stopped) return;
    const text = progressLine(state(), Date.now(), stream.columns || 80, style);
    lastFrame = Date.now();
    if (text === shown) return;
    stream.write(`${CLEAR_LINE}${text}`);
    shown = text;
  };
  const clear = () => {
    if (shown) stream.write(CLEAR_LINE);
    shown = '';
  };
  // process.exit (a second Ctrl-C) skips every finally: leave the terminal usable even then.
  // A terminal's writes are synchronous, so this reaches the screen before the process ends.
  const restore = () => {
    clear();
    stream.write(SHOW_CURSOR);
  };
  process.on('exit', restore);
  const ticker = setInterval(draw, FRAME_MS);
  ticker.unref();
  stream.write(HIDE_CURSOR);
  draw();

  return {
    changed() {
      if (Date.now() - lastFrame >= FRAME_MS) draw();
    },
    above(write) {
      clear();
      write();
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      process.off('exit', restore);
      restore();
    },
  };
}
