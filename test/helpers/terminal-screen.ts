/**
 * What a terminal shows after it received `output`: the rows of text, and whether the cursor is
 * visible. Models what the CLI may write (text, CR, LF, erase-in-line, colours, cursor show/hide)
 * and fails on any other escape sequence, so that a test notices output it does not understand
 * instead of asserting on a wrong picture. A row longer than `columns` wraps, as on a terminal.
 */
export interface TerminalScreen {
  rows: string[];
  /** The rows joined with newlines, trailing blanks trimmed. */
  text: string;
  cursorVisible: boolean;
  /** How often the cursor was hidden (a live line was drawn). */
  hides: number;
}

const TOKEN = /\u001b\[([?0-9;]*)([A-Za-z])|\u001b|\r|\n|[^\u001b\r\n]/gu;

export function replayTerminal(output: string, columns: number): TerminalScreen {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let cursorVisible = true;
  let hides = 0;
  for (const match of output.matchAll(TOKEN)) {
    const [token, params, command] = match;
    if (command !== undefined) {
      if (command === 'm') continue;
      if (command === 'K') {
        const line = rows[row]!;
        if (params === '2') line.length = 0;
        else if (params === '' || params === '0') line.length = Math.min(line.length, col);
        else throw new Error(`unexpected erase-in-line mode ${JSON.stringify(token)}`);
        continue;
      }
      if ((command === 'h' || command === 'l') && params === '?25') {
        cursorVisible = command === 'h';
        if (!cursorVisible) hides += 1;
        continue;
      }
      throw new Error(`unexpected escape sequence ${JSON.stringify(token)} in terminal output`);
    }
    if (token === '\u001b') throw new Error('unexpected lone ESC in terminal output');
    if (token === '\r') {
      col = 0;
    } else if (token === '\n') {
      row += 1;
      rows[row] ??= [];
    } else {
      if (col >= columns) {
        row += 1;
        col = 0;
        rows[row] ??= [];
      }
      const line = rows[row]!;
      while (line.length < col) line.push(' ');
      line[col] = token;
      col += 1;
    }
  }
  const text = rows.map((cells) => cells.join('').trimEnd());
  return { rows: text, text: text.join('\n').trimEnd(), cursorVisible, hides };
}
