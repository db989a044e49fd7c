// One polymigrate run with pg-probe.cjs preloaded: which queries it sent and when it first connected.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures.mjs';
import { runOnce } from './measure.mjs';

const PROBE = fileURLToPath(new URL('./pg-probe.cjs', import.meta.url));

/** Run `{ command, args, options }` (a node command) with the probe; returns { code, ms, firstConnectMs, exitMs, queries }. */
export async function probeRun({ command, args, options }) {
  const out = path.join(tempDir('probe'), 'probe.json');
  const result = await runOnce(command, ['--require', PROBE, ...args], { ...options, env: { ...options.env, BENCH_PG_PROBE: out } });
  const probe = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : { queries: [] };
  return { code: result.code, ms: result.ms, stderr: result.stderr, ...probe };
}
