import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { missingPeerText, OPTIONAL_PEERS } from '../../src/peers/missing-peer.js';

/** The project's own drizzle-kit: node_modules/.bin/drizzle-kit in the folder it runs from or above. */
export function findDrizzleKit(from: string[]): string | undefined {
  const bin = process.platform === 'win32' ? 'drizzle-kit.cmd' : 'drizzle-kit';
  for (const start of from) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const file = path.join(dir, 'node_modules', '.bin', bin);
      if (fs.existsSync(file)) return file;
      if (path.dirname(dir) === dir) break;
    }
  }
  return undefined;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

export interface DrizzleKitRun {
  code: number;
  /** stdout and stderr, interleaved as printed, without colour codes. */
  output: string;
}

/**
 * Run drizzle-kit as the user would. stdin is closed: drizzle-kit asks interactive questions
 * (a rename or a new column?) that would otherwise hang a CI job; without a TTY it fails instead,
 * and its own message is passed on.
 */
export function runDrizzleKit(bin: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<DrizzleKitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
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
      const { hint } = missingPeerText(OPTIONAL_PEERS.drizzleKit, cwd);
      reject(new ConfigError(`Cannot run ${bin}: ${error.message}`, hint));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = output.replace(ANSI, '').trim();
      resolve({ code: code ?? (signal ? 124 : 1), output: signal ? `${text}\n(killed after ${timeoutMs / 1000}s: did it wait for an answer?)` : text });
    });
  });
}

/** Every file under `dir` (one level, plus meta/), to see what a drizzle-kit run wrote. */
export function listFiles(dir: string): Set<string> {
  const files = new Set<string>();
  const walk = (folder: string, depth: number) => {
    if (!fs.existsSync(folder)) return;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isFile()) files.add(full);
      else if (entry.isDirectory() && depth > 0) walk(full, depth - 1);
    }
  };
  walk(dir, 1);
  return files;
}
