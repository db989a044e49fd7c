import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** The exit code; -1 when the process was killed (see `timedOut`). */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Everything it printed, for assertion messages. */
  output: string;
}

export interface RunProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Killed after this long (a budget from time-budget.ts): a hang fails the step with its output. */
  timeoutMs: number;
}

/** Run a program to its end, stdin closed, collecting what it prints. */
export function runProcess(file: string, args: string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = `$ ${[file, ...args].join(' ')} (in ${options.cwd}, exit ${code ?? 'killed'}${timedOut ? `, killed after ${options.timeoutMs} ms` : ''})\n${stdout}${stderr}`;
      resolve({ code: code ?? -1, stdout, stderr, timedOut, output });
    });
  });
}

/**
 * The environment of a user's shell: this process's, without what `npm test` adds (npm_* variables
 * would configure the package managers the test starts) and without database settings (each run
 * gets its own).
 */
export function userShellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || /^(DATABASE_URL|DIRECT_URL|POLYMIGRATE_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}
