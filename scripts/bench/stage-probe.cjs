// Preload (`node --require <this file>`) for the stage breakdown: when the process passed the
// CLI's own start-up marks (performance.mark 'polymigrate:…'), opened its first TCP connection
// (the database) and exited, in ms since process start, written as JSON to $BENCH_STAGE_PROBE.
// It loads nothing else (unlike pg-probe.cjs, which preloads pg): every module is loaded where
// the command itself loads it.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const { performance } = require('node:perf_hooks');

const out = process.env.BENCH_STAGE_PROBE;
if (out) {
  const stages = {};
  const { connect } = net.Socket.prototype;
  net.Socket.prototype.connect = function stagedConnect(...args) {
    stages.connect ??= performance.now();
    return connect.apply(this, args);
  };
  process.on('exit', () => {
    const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('polymigrate:'));
    fs.writeFileSync(
      out,
      JSON.stringify({
        marks: Object.fromEntries(marks.map((m) => [m.name.slice('polymigrate:'.length), m.startTime])),
        connect: stages.connect ?? null,
        exit: performance.now(),
      }),
    );
  });
}
