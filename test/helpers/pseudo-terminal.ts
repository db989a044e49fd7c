import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { serverPassword } from './database.js';
import { pollUntil } from './poll-until.js';
import { CLI } from './run-cli.js';
import { budget, STEP_MS } from './time-budget.js';

/**
 * The built CLI on a real pseudo-terminal, as a person runs it: `script` (util-linux) allocates
 * the terminal, and stdin, stdout and stderr of the CLI are all that terminal, so `isTTY` is true
 * and what it prints arrives interleaved as on a screen. Bytes written with `type()` reach the
 * terminal as keystrokes: "\x03" is Ctrl-C, and the terminal sends SIGINT to the CLI.
 */
export interface TerminalRun {
  /** Everything the terminal showed so far, escape sequences and all. */
  output: () => string;
  type: (keys: string) => void;
  /** Wait until the output matches (what the CLI drew, not time, ends the wait). */
  waitFor: (pattern: RegExp, what: string) => Promise<void>;
  /** The exit code and the whole output, once the CLI ended (killed after its budget). */
  done: Promise<{ code: number; output: string }>;
}

export interface TerminalOptions {
  cwd: string;
  /** Added to this process's environment, without CI, NO_COLOR and FORCE_COLOR (set them here to test them). */
  env?: Record<string, string>;
  columns?: number;
  timeoutMs?: number;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export function runCliInTerminal(args: string[], options: TerminalOptions): TerminalRun {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  for (const name of ['CI', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
  Object.assign(env, options.env);
  const columns = options.columns ?? 100;
  // stty sets the terminal's size (script's own terminal, a pipe here, has none to copy).
  const command = `stty cols ${columns} rows 50 && exec ${[process.execPath, CLI, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let ended = false;
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const done = new Promise<{ code: number; output: string }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? budget(STEP_MS.cli));
    child.on('error', (error) => reject(new Error(`Cannot start util-linux \`script\` for a terminal test (Debian: apt-get install bsdutils): ${error.message}`)));
    child.on('close', (code) => {
      ended = true;
      clearTimeout(timer);
      child.stdin.destroy();
      try {
        expect(output, 'the terminal must not show a secret').not.toContain(serverPassword());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({ code: code ?? -1, output });
    });
  });
  return {
    output: () => output,
    type: (keys) => {
      child.stdin.write(keys);
    },
    waitFor: async (pattern, what) => {
      await pollUntil(
        what,
        () => {
          if (pattern.test(output)) return true;
          // The CLI ended without showing it: fail now, not at the budget.
          if (ended) throw new Error(`The CLI ended before showing ${what}; it showed:\n${JSON.stringify(output)}`);
          return false;
        },
        { detail: () => `terminal output so far:\n${JSON.stringify(output)}` },
      );
    },
    done,
  };
}
