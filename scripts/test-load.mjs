#!/usr/bin/env node
// `npm run test:load`: the full test suite (`npm test`, exactly the README's command) with two
// CPU-burning processes beside it, so a busy machine is something the suite is checked against
// rather than something it meets by chance. The burners are killed when the suite ends, and on
// any exit or signal of this script; should this script itself be killed with -9, each burner
// notices that its parent changed and exits on its own.
//
// The tests read POLYMIGRATE_TEST_SLOWDOWN (test/helpers/time-budget.ts) to widen their time budgets;
// this script sets it to 3 unless it is already set. Exits with the suite's exit code.
import { spawn } from 'node:child_process';
import os from 'node:os';

const BURNERS = 2;
const SLOWDOWN = process.env.POLYMIGRATE_TEST_SLOWDOWN ?? '3';

// A busy loop that checks now and then (every ~2^24 iterations, well under a second) whether its
// parent is still the process that started it.
const BURN = 'const parent = process.ppid; for (let i = 1; ; i += 1) if ((i & 0xffffff) === 0 && process.ppid !== parent) process.exit(0);';

const burners = Array.from({ length: BURNERS }, () => spawn(process.execPath, ['-e', BURN], { stdio: 'ignore' }));
const killBurners = () => {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
};
process.on('exit', killBurners);

const started = Date.now();
console.log(`test:load: ${BURNERS} CPU burners (pids ${burners.map((b) => b.pid).join(', ')}) beside \`npm test\`, POLYMIGRATE_TEST_SLOWDOWN=${SLOWDOWN}`);
const suite = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['test'], {
  stdio: 'inherit',
  env: { ...process.env, POLYMIGRATE_TEST_SLOWDOWN: SLOWDOWN },
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killBurners();
    if (suite.exitCode === null) suite.kill(signal);
    // The suite's own exit (below) reports and ends this process; if it ignores the signal, this does.
    setTimeout(() => process.exit(128 + os.constants.signals[signal]), 10_000).unref();
  });
}

suite.on('error', (error) => {
  console.error(`test:load: could not start npm test: ${error.message}`);
  process.exit(1);
});
suite.on('close', (code, signal) => {
  killBurners();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const how = signal ? `was killed by ${signal}` : `exited ${code}`;
  console.log(`test:load: npm test ${how} after ${seconds} s (beside ${BURNERS} CPU burners)`);
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});
