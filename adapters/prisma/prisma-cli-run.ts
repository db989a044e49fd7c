import { spawn } from 'node:child_process';
import { ConfigError } from '../../src/errors.js';

export interface PrismaCliRun {
  code: number;
  /** stdout and stderr, interleaved as printed, without colour codes. */
  output: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/**
 * Run the project's Prisma CLI (its entry file, with this Node) as the user would. stdin is
 * closed: `migrate dev` asks before it creates a migration that loses data, or to reset a
 * drifted database; without a TTY it stops with its own message instead of hanging a CI job, and
 * that message is passed on. `CHECKPOINT_DISABLE`: no update check, an outgoing request nobody
 * asked polymigrate to make. The timeout covers a shadow database replaying a long history.
 */
export function runPrismaCli(cli: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<PrismaCliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ConfigError(`Cannot run Prisma's CLI ${cli}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = output.replace(ANSI, '').trim();
      resolve({ code: code ?? (signal ? 124 : 1), output: signal ? `${text}\n(killed after ${timeoutMs / 1000}s: did it wait for an answer?)` : text });
    });
  });
}
