// Preload (`node --require <this file>`): counts the SQL queries a polymigrate process sends and
// notes when it first connects (ms since process start), written as JSON to $BENCH_PG_PROBE at exit.
// It patches the same `pg` module instance polymigrate imports (resolved from the repository).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const out = process.env.BENCH_PG_PROBE;
if (out) {
  const pg = require(require.resolve('pg', { paths: [path.resolve(__dirname, '../..')] }));
  const probe = { firstConnectMs: null, queries: [] };
  const { connect, query } = pg.Client.prototype;
  pg.Client.prototype.connect = function probedConnect(...args) {
    if (probe.firstConnectMs === null) probe.firstConnectMs = performance.now();
    return connect.apply(this, args);
  };
  pg.Client.prototype.query = function probedQuery(config, ...args) {
    const text = typeof config === 'string' ? config : config && config.text;
    if (typeof text === 'string') probe.queries.push(text.replace(/\s+/g, ' ').trim().slice(0, 160));
    return query.call(this, config, ...args);
  };
  process.on('exit', () => {
    probe.exitMs = performance.now();
    fs.writeFileSync(out, JSON.stringify(probe));
  });
}
