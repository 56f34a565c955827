'use strict';
// Small helpers for the benchmark harness: child processes, a keep-alive HTTP client,
// a concurrency pool and an autocannon wrapper. Plain CommonJS, no compile step.

const http = require('node:http');
const net = require('node:net');
const { spawn } = require('node:child_process');
const autocannon = require('autocannon');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let clockTicks = 100;
try {
  clockTicks = Number(require('node:child_process').execSync('getconf CLK_TCK', { stdio: ['ignore', 'pipe', 'ignore'] })) || 100;
} catch {
  /* keep 100 */
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuSecondsOf(pid) {
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime
  } catch {
    return null;
  }
}

/**
 * CPU seconds per thread of a process (Linux /proc/<pid>/task/*), grouped: `main` (the event loop:
 * tid = pid), the ledger's named worker threads (`ledger-writer`, `ledger-project`), and `other`
 * (V8's GC and compiler threads, libuv's pool, the workers' own platform threads). null elsewhere.
 */
function threadCpuOf(pid) {
  const fs = require('node:fs');
  try {
    const out = { main: 0, writer: 0, projector: 0, other: 0 };
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      let stat;
      let comm;
      try {
        stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      } catch {
        continue; // the thread ended meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
      const group = String(tid) === String(pid) ? 'main' : comm === 'ledger-writer' ? 'writer' : comm === 'ledger-project' ? 'projector' : 'other';
      out[group] += seconds;
    }
    return out;
  } catch {
    return null;
  }
}

/** after - before, per thread group (seconds); null if either is. */
function threadCpuDelta(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

/** Reads VmRSS and VmHWM (peak) of a process in MB (Linux). */
function memoryOf(pid) {
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number((new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status) || [])[1]);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A child process whose output is kept (last 64 KiB) for error reports. */
class Child {
  constructor(name, args, options) {
    this.name = name;
    this.output = '';
    this.exited = null;
    this.proc = spawn(process.execPath, args, options);
    const keep = (chunk) => {
      this.output += chunk.toString();
      if (this.output.length > 65536) this.output = this.output.slice(-65536);
    };
    if (this.proc.stdout) this.proc.stdout.on('data', keep);
    if (this.proc.stderr) this.proc.stderr.on('data', keep);
    this.exitPromise = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
  }

  get pid() {
    return this.proc.pid;
  }

  /** SIGTERM, then SIGKILL if it has not gone within `graceMs`. Only this child's own pid. */
  async stop(graceMs = 5000) {
    if (this.exited || this.proc.pid === undefined) return;
    try {
      this.proc.kill('SIGTERM');
    } catch {
      return;
    }
    const done = await Promise.race([this.exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done && !this.exited) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      await Promise.race([this.exitPromise, sleep(2000)]);
    }
  }

  /** Request/response over the IPC channel (used by the CPU-profile preload). */
  rpc(message, timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const id = Math.random().toString(36).slice(2);
      const timer = setTimeout(() => {
        this.proc.off('message', onMessage);
        reject(new Error(`${this.name}: no answer to ${message.type}`));
      }, timeoutMs);
      const onMessage = (m) => {
        if (m && m.id === id) {
          clearTimeout(timer);
          this.proc.off('message', onMessage);
          if (m.error) reject(new Error(m.error));
          else resolve(m);
        }
      };
      this.proc.on('message', onMessage);
      this.proc.send({ ...message, id });
    });
  }
}

/** Minimal keep-alive JSON client (Node's http, no extra packages). */
class Client {
  constructor(baseUrl, defaultHeaders, maxSockets = 32) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.defaultHeaders = defaultHeaders;
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method, path, { headers = {}, body } = {}) {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const allHeaders = { ...this.defaultHeaders, ...headers };
    if (payload) {
      allHeaders['content-type'] = 'application/json';
      allHeaders['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method, path, headers: allHeaders, agent: this.agent, timeout: 30000 },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Like request, but throws unless the answer is 2xx; returns the parsed JSON (or null). */
  async ok(method, path, options) {
    const res = await this.request(method, path, options);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${path} -> ${res.status}: ${res.body.toString().slice(0, 500)}`);
    }
    return res.body.length ? JSON.parse(res.body.toString()) : null;
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; stops taking new
 * indices once `deadline` (ms epoch) has passed. Returns how many were run (always 0..n-1).
 */
async function pool(count, concurrency, task, deadline = Infinity) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      if (Date.now() > deadline || next >= count) return;
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(workers);
  return Math.min(next, count);
}

/** Polls until the server answers any HTTP status on `path`, or fails if the child exits. */
async function waitForHttp(client, path, child, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  while (Date.now() < deadline) {
    if (child && child.exited) {
      throw new Error(`${child.name} exited (${JSON.stringify(child.exited)}) before answering:\n${child.output}`);
    }
    try {
      await client.request('GET', path);
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  throw new Error(`${child ? child.name : 'server'} did not answer within ${timeoutMs} ms: ${lastError && lastError.message}`);
}

/**
 * One autocannon run. `spec` = { url, method, path, headers, body, pick } where `pick()` returns
 * extra headers for each request (e.g. a random adapty-customer-user-id).
 */
async function cannon(spec, seconds, connections) {
  const base = { method: spec.method || 'GET', path: spec.path, headers: spec.headers, body: spec.body };
  const request = spec.pick
    ? { ...base, setupRequest: (req) => ({ ...req, headers: { ...spec.headers, ...spec.pick() } }) }
    : base;
  const serverCpu0 = spec.pid ? cpuSecondsOf(spec.pid) : null;
  const threads0 = spec.pid ? threadCpuOf(spec.pid) : null;
  const clientCpu0 = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    connections,
    duration: seconds,
    requests: [request],
    timeout: 10,
  });
  const serverCpu1 = spec.pid ? cpuSecondsOf(spec.pid) : null;
  const threads = threadCpuDelta(threads0, spec.pid ? threadCpuOf(spec.pid) : null);
  const clientCpu = process.cpuUsage(clientCpu0);
  const total = result.requests.total; // completed requests, any status
  const duration = result.duration; // seconds, as measured
  return {
    serverCpu: serverCpu0 === null || serverCpu1 === null ? null : serverCpu1 - serverCpu0,
    threads,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
    rps: total / duration,
    mean: result.latency.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodeStats,
    bytesPerResponse: total ? result.throughput.total / total : 0,
    duration,
  };
}

/**
 * Runs several targets interleaved in `rounds` (order reversed every other round, so a slow
 * drift of the machine hits all of them alike), after a warm-up of each.
 * req/s = all completed requests / all measured time; p50 = mean of rounds; p99 = worst round.
 */
async function compare(specs, { seconds, rounds, warmup, connections, onRun, beforeMeasure, afterMeasure }) {
  const runs = specs.map(() => []);
  const warm = specs.map(() => null);
  if (warmup > 0) {
    for (let i = 0; i < specs.length; i++) {
      warm[i] = await cannon(specs[i], warmup, connections);
      if (onRun) onRun(specs[i], warm[i], 'warm-up');
    }
  }
  const perRound = Math.max(1, seconds / rounds);
  if (beforeMeasure) await beforeMeasure();
  for (let r = 0; r < rounds; r++) {
    const order = specs.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const res = await cannon(specs[i], perRound, connections);
      runs[i].push(res);
      if (onRun) onRun(specs[i], res, `round ${r + 1}/${rounds}`);
    }
  }
  if (afterMeasure) await afterMeasure();
  return specs.map((spec, i) => {
    const rs = runs[i];
    const sum = (f) => rs.reduce((a, x) => a + f(x), 0);
    const total = sum((x) => x.total);
    const duration = sum((x) => x.duration);
    return {
      name: spec.name,
      rps: total / duration,
      p50: sum((x) => x.p50) / rs.length,
      // Mean latency over every request of the rounds (autocannon's percentiles are whole ms).
      mean: sum((x) => x.mean * x.total) / Math.max(1, total),
      p99: Math.max(...rs.map((x) => x.p99)),
      max: Math.max(...rs.map((x) => x.max)),
      total,
      ok2xx: sum((x) => x.ok2xx),
      non2xx: sum((x) => x.non2xx),
      errors: sum((x) => x.errors),
      timeouts: sum((x) => x.timeouts),
      bytesPerResponse: sum((x) => x.bytesPerResponse * x.total) / Math.max(1, total),
      // CPU time per completed request (µs): robust to the machine's noise, unlike req/s.
      serverCpuUsPerReq: rs.every((x) => x.serverCpu !== null) ? (1e6 * sum((x) => x.serverCpu)) / Math.max(1, total) : null,
      // The same per thread group (main event loop, writer, projector, other): where the CPU goes.
      threadCpuUsPerReq: rs.every((x) => x.threads)
        ? Object.fromEntries(Object.keys(rs[0].threads).map((k) => [k, (1e6 * sum((x) => x.threads[k])) / Math.max(1, total)]))
        : null,
      serverCpuUtil: rs.every((x) => x.serverCpu !== null) ? sum((x) => x.serverCpu) / duration : null,
      clientCpuUtil: sum((x) => x.clientCpu) / duration,
      duration,
      roundsRps: rs.map((x) => Math.round(x.rps)),
      warmup: warm[i] ? { total: warm[i].total, ok2xx: warm[i].ok2xx, non2xx: warm[i].non2xx, errors: warm[i].errors } : null,
    };
  });
}

/**
 * Environment of a ledger child (dist/main.js): the parent's, minus settings that would change
 * what is measured, plus the store, one app key, the port and FULL durability; then the
 * experiment's BENCH_SERVER_ENV ('K=V,K2=V2', `{tmp}` = `tmp`) on top.
 */
function ledgerEnv({ dbPath, secret, port, tmp, extra = process.env.BENCH_SERVER_ENV }) {
  const env = { ...process.env };
  for (const k of ['SQLITE_SYNCHRONOUS', 'PROJECTIONS_PATH', 'DATA_DIR', 'LOG_REQUESTS', 'BODY_LIMIT_BYTES']) delete env[k];
  Object.assign(env, {
    EVENT_STORE_URL: `sqlite:${dbPath}`,
    API_KEYS: `bench:${secret}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    SQLITE_SYNCHRONOUS: 'FULL', // the default, stated so the durable-write figures are what they say
    BENCH_PARENT_PID: String(process.pid),
  });
  for (const pair of (extra || '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at).trim()] = pair.slice(at + 1).replace(/\{tmp\}/g, tmp);
  }
  return env;
}

/** Wall-clock milliseconds with sub-millisecond precision (comparable across processes on one machine). */
const wallMs = () => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of an array of numbers (sorted here). */
function percentile(values, p) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const PROFILE_PATH = '/api/v2/server-side-api/profile/';
const GRANT_PATH = '/api/v2/server-side-api/purchase/profile/grant/access-level/';

/**
 * The two requests the benchmark compares ledgers with, as compare() targets: GET a random seeded
 * profile (bench-0..profiles-1), and grant it premium (durable).
 */
function ledgerRequests({ secret, profiles }) {
  const auth = { authorization: `Api-Key ${secret}` };
  const pick = () => ({ 'adapty-customer-user-id': `bench-${Math.floor(Math.random() * profiles)}` });
  return {
    get: (l, name) => ({ name, pid: l.child.pid, url: l.url, method: 'GET', path: PROFILE_PATH, headers: { ...auth }, pick }),
    grant: (l, name) => ({
      name,
      pid: l.child.pid,
      url: l.url,
      method: 'POST',
      path: GRANT_PATH,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ access_level_id: 'premium' }),
      pick,
    }),
  };
}

module.exports = { cpuSecondsOf, threadCpuOf, threadCpuDelta, memoryOf, sleep, freePort, Child, Client, pool, waitForHttp, cannon, compare, ledgerEnv, wallMs, percentile, PROFILE_PATH, GRANT_PATH, ledgerRequests };
