'use strict';
// Preloaded into the ledger server (node -r bench/cpu-prof-preload.js dist/main.js) when
// BENCH_PROFILE=1. Over the IPC channel the harness:
//  - starts and stops V8's sampling profiler, so only the measured windows are profiled;
//  - answers process.memoryUsage() (type 'memory');
//  - reads SQL timings: better-sqlite3's Statement run/get/all are wrapped to time each call by
//    connection (the FULL one is the event store, the NORMAL one the read models) and by SQL text.
//    Every call is synchronous on the event loop, so this is time the loop was blocked, fsync included.
// Nothing in src/ knows about it.

const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

const session = new inspector.Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params || {}, (err, res) => (err ? reject(err) : resolve(res))));

// ---- SQL timing ----
const sqlStats = new Map();
let statsSince = process.hrtime.bigint();
try {
  const Database = require(require.resolve('better-sqlite3', { paths: [process.cwd()] }));
  const tags = new WeakMap();
  const pragma = Database.prototype.pragma;
  Database.prototype.pragma = function (source, options) {
    const m = /^\s*synchronous\s*=\s*(\w+)/i.exec(String(source));
    if (m) tags.set(this, m[1].toUpperCase() === 'FULL' ? 'events(FULL)' : `read-models(${m[1].toUpperCase()})`);
    return pragma.call(this, source, options);
  };
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const method of ['run', 'get', 'all']) {
    const original = proto[method];
    proto[method] = function (...args) {
      const start = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const ns = Number(process.hrtime.bigint() - start);
        const key = `${tags.get(this.database) || '?'} ${method} ${this.source.replace(/\s+/g, ' ').slice(0, 70)}`;
        const s = sqlStats.get(key);
        if (s) {
          s.calls++;
          s.ns += ns;
        } else sqlStats.set(key, { calls: 1, ns });
      }
    };
  }
} catch (error) {
  process.stderr.write(`cpu-prof-preload: SQL timing disabled: ${error}\n`);
}

process.on('message', async (m) => {
  if (!m || !m.type || !m.id) return;
  try {
    if (m.type === 'prof-start') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: m.intervalUs || 250 });
      await post('Profiler.start');
      sqlStats.clear();
      statsSince = process.hrtime.bigint();
      process.send({ id: m.id, ok: true });
    } else if (m.type === 'prof-stop') {
      const { profile } = await post('Profiler.stop');
      writeFileSync(m.file, JSON.stringify(profile));
      const wallMs = Number(process.hrtime.bigint() - statsSince) / 1e6;
      const sql = [...sqlStats].map(([key, s]) => ({ key, calls: s.calls, ms: s.ns / 1e6 }));
      process.send({ id: m.id, ok: true, wallMs, sql });
    } else if (m.type === 'memory') {
      // Where the resident memory is: V8 heap, off-heap buffers, and the rest (SQLite caches, code, stacks).
      process.send({ id: m.id, ok: true, memory: process.memoryUsage() });
    }
  } catch (error) {
    process.send({ id: m.id, error: String(error && error.stack ? error.stack : error) });
  }
});
// The IPC channel must not keep the server alive on its own.
if (process.channel) process.channel.unref();
