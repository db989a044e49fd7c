// Preload for the Prisma CLI used as a test oracle (NODE_OPTIONS="--require <this file>").
// Prisma 6.19's WASM schema engine arms a ~10 s timer (its advisory-lock timeout) and never
// clears it, so a successful `migrate deploy` or `migrate resolve` keeps the process alive for
// ten more seconds. Timers scheduled from WASM code are unref'd so they cannot hold the process.
'use strict';
const originalSetTimeout = global.setTimeout;
global.setTimeout = function setTimeoutUnrefFromWasm(callback, ms, ...args) {
  const timer = originalSetTimeout.call(this, callback, ms, ...args);
  if (ms >= 1000 && timer && typeof timer.unref === 'function' && /wasm:\/\//.test(new Error().stack || '')) timer.unref();
  return timer;
};
