import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { serverPassword } from './database.js';
import { budget, STEP_MS } from './time-budget.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { polymigrate: string } };
/** The bin the package ships (package.json "bin", built by `npm run build`): tests run what users run. */
export const CLI = path.join(REPO_ROOT, manifest.bin.polymigrate);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** Secrets that must never appear in any output (checked on every run). */
const extraSecrets = new Set<string>();
export function forbidInOutput(secret: string): void {
  extraSecrets.add(secret);
}

/**
 * Run the built CLI as a real process. Every run's stdout and stderr are checked for the
 * database password: no output may ever contain it. Killed after `timeoutMs` (default: the budget
 * of one fast-engine run; a run that loads Payload passes budget(STEP_MS.payload)).
 */
export interface RunCliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as this user (needs root): file permissions then apply, as they do not to root. */
  user?: { uid: number; gid: number };
}

export async function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options.user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? budget(STEP_MS.cli));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        for (const secret of [serverPassword(), ...extraSecrets]) {
          if (secret) {
            expect(stdout, 'stdout must not contain a secret').not.toContain(secret);
            expect(stderr, 'stderr must not contain a secret').not.toContain(secret);
          }
        }
      } catch (error) {
        // Fail the test that ran the command now, not at its timeout.
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

/** The lines of a `--log-format json` run's stderr, each parsed (a line that is not JSON fails the test). */
export function logLines(result: CliResult): Array<Record<string, any>> {
  return result.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
}
