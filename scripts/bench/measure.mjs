// Whole-process timing: spawn, wall time with performance.now(), peak RSS through /usr/bin/time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * Run a command once. Resolves { ms, code, stdout, stderr, rssKb? }. With `rss: true` the command
 * runs under `/usr/bin/time -f %M` (its own line on stderr), which adds a fork+exec — so timed runs
 * and RSS runs are kept apart.
 */
export function runOnce(command, args, { cwd, env, rss = false, input, timeoutMs = 300_000 } = {}) {
  const marker = '__bench_maxrss_kb=';
  const [file, argv] = rss && GNU_TIME ? [GNU_TIME, ['-f', `${marker}%M`, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { cwd, env: env ?? process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      let rssKb;
      const match = new RegExp(`${marker}(\\d+)`).exec(stderr);
      if (match) {
        rssKb = Number(match[1]);
        stderr = stderr.replace(match[0], '');
      }
      resolve({ ms, code, stdout, stderr, rssKb });
    });
  });
}

/** Run `times` times (after `before()` each time, not timed), asserting the exit code. */
export async function runRepeated(label, times, make, { expectCodes = [0], before, after } = {}) {
  const samples = [];
  for (let i = 0; i < times; i += 1) {
    const context = before ? await before(i) : undefined;
    const { command, args, options } = make(context);
    const result = await runOnce(command, args, options);
    if (after) await after(context);
    if (!expectCodes.includes(result.code)) {
      throw new Error(`${label}: exit ${result.code}, expected ${expectCodes.join('/')}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
    }
    samples.push(result.ms);
  }
  return summarize(samples);
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), runs: sorted.length, samples };
}

/** "123 ms (110–140, n=7)" */
export function formatStat(stat) {
  if (!stat) return 'n/a';
  return `${fmtMs(stat.median)} (${fmtMs(stat.min, false)}–${fmtMs(stat.max, false)}, n=${stat.runs})`;
}

export function fmtMs(ms, unit = true) {
  const text = ms >= 10_000 ? (ms / 1000).toFixed(1) + (unit ? ' s' : 's') : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
  return ms >= 10_000 ? text : `${text}${unit ? ' ms' : ''}`;
}

export function ratio(a, b) {
  return a.median / b.median;
}

/**
 * Side by side: round i runs every entry once, in turn, so that a change of machine load hits
 * every contender alike. `entries`: { key, label, times?, make(context), expectCodes?, before?, after? }.
 * Returns { [key]: stat }.
 */
export async function runInterleaved(entries, times) {
  const samples = Object.fromEntries(entries.map((e) => [e.key, []]));
  for (let i = 0; i < times; i += 1) {
    for (const entry of entries) {
      if (i >= (entry.times ?? times)) continue;
      const context = entry.before ? await entry.before(i) : undefined;
      const { command, args, options } = entry.make(context);
      const result = await runOnce(command, args, options);
      if (entry.after) await entry.after(context);
      const expect = entry.expectCodes ?? [0];
      if (!expect.includes(result.code)) {
        throw new Error(`${entry.label}: exit ${result.code}, expected ${expect.join('/')}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
      }
      samples[entry.key].push(result.ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([key, s]) => [key, summarize(s)]));
}
