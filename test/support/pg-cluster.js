'use strict';
// A throwaway PostgreSQL cluster for tests and the benchmark: initdb into a temporary folder,
// a free port on 127.0.0.1 (and its unix socket in that folder), pg_ctl start/stop, removed
// afterwards. Plain CommonJS so `bench/` (plain node) and jest (TypeScript, via pg-cluster.d.ts)
// share it.
//
// PostgreSQL refuses to run as root. As root, the cluster runs as the `postgres` user (Debian's
// package creates it) or, when there is none, as a system user `ledger-pg` created here.
//
// Nothing is left behind, also when the owner dies without cleaning up (kill -9, a crash): a small
// detached watchdog (this file run with --watchdog) polls the owner's pid and, once it is gone,
// stops the cluster and removes its folder.
//
// Binaries: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's `postgresql`
// package), else initdb/pg_ctl on PATH.

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found in $PG_BIN, /usr/lib/postgresql/*/bin or on PATH. ' +
  'Install them, e.g. `apt-get install -y postgresql` on Debian/Ubuntu (CI: .ci/run does it), or set PG_BIN to the folder that holds initdb.';

const SUPERUSER = 'ledger';

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folder holding initdb, pg_ctl and postgres, or an Error saying what to install. */
function findBinDir({ pgBin = process.env.PG_BIN, debian = '/usr/lib/postgresql', searchPath = process.env.PATH } = {}) {
  const candidates = [];
  if (pgBin) candidates.push(pgBin);
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, 'bin'));
  }
  for (const dir of (searchPath || '').split(path.delimiter)) if (dir) candidates.push(dir);
  const found = candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutable(path.join(dir, b))));
  if (!found) throw new Error(INSTALL_HINT);
  return found;
}

/** uid/gid to run the server as: ourselves unless we are root. */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const lookup = (name) => {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }));
      const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }));
      return { name, uid, gid };
    } catch {
      return null;
    }
  };
  const existing = lookup('postgres') || lookup('ledger-pg');
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'ledger-pg'], { stdio: 'ignore' });
  const created = lookup('ledger-pg');
  if (!created) throw new Error('running as root: could not create the unprivileged user ledger-pg to run PostgreSQL as');
  return created;
}

/** The server user must be able to reach its folder: every ancestor needs the x bit for others. */
function assertTraversable(dir, userName) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as ${userName} and cannot reach ${d} (mode ${(fs.statSync(d).mode & 0o777).toString(8)}): put the cluster elsewhere`);
    }
    if (d === path.dirname(d)) return;
  }
}

function run(info, binary, args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const options = { cwd: info.dir, env: { ...process.env, HOME: info.dir, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] };
    if (info.uid !== null) Object.assign(options, { uid: info.uid, gid: info.gid });
    const child = spawn(path.join(info.binDir, binary), args, options);
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${binary} ${args.join(' ')} failed (${signal || `exit ${code}`}):\n${output.trim()}`));
    });
  });
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

function serverLog(info) {
  try {
    return fs.readFileSync(path.join(info.dir, 'server.log'), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a cluster in `dir`, or in a new temporary folder under `parentDir` (default the OS temp
 * dir); stopping it removes that folder.
 * `durable: false` (tests) turns fsync off: fast, and a crash of the machine loses the cluster,
 * which nobody keeps anyway. The benchmark uses `durable: true` (PostgreSQL's defaults).
 * Resolves to a JSON-serialisable description, usable by any process for urlFor / stopCluster.
 */
async function startCluster({ dir: exactDir, parentDir = os.tmpdir(), ownerPid = process.pid, durable = false, settings = {} } = {}) {
  const binDir = findBinDir();
  const user = serverUser();
  if (exactDir) fs.mkdirSync(exactDir, { recursive: true });
  const dir = exactDir || fs.mkdtempSync(path.join(parentDir, 'ledger-pg-'));
  if (user) assertTraversable(path.dirname(dir), user.name);
  const info = {
    dir,
    binDir,
    dataDir: path.join(dir, 'data'),
    socketDir: dir,
    host: '127.0.0.1',
    port: 0,
    user: SUPERUSER,
    password: randomBytes(12).toString('hex'),
    uid: user ? user.uid : null,
    gid: user ? user.gid : null,
    watchdogPid: null,
  };
  try {
    if (user) fs.chownSync(dir, user.uid, user.gid);
    fs.chmodSync(dir, 0o700);
    const pwfile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwfile, `${info.password}\n`, { mode: 0o600 });
    if (user) fs.chownSync(pwfile, user.uid, user.gid);
    info.watchdogPid = startWatchdog(info, ownerPid);
    await run(info, 'initdb', [
      '-D', info.dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
      '-E', 'UTF8', '--locale=C', '--no-sync',
    ]);
    fs.rmSync(pwfile);
    const options = {
      listen_addresses: info.host,
      unix_socket_directories: info.socketDir,
      max_connections: 200,
      ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...settings,
    };
    for (let attempt = 1; ; attempt++) {
      info.port = await freePort();
      const o = Object.entries({ ...options, port: info.port }).map(([k, v]) => `-c ${k}=${v}`).join(' ');
      try {
        await run(info, 'pg_ctl', ['start', '-D', info.dataDir, '-w', '-t', '60', '-l', path.join(dir, 'server.log'), '-o', o]);
        break;
      } catch (error) {
        // Another process took the port between freePort and the bind: try another one.
        if (attempt >= 3 || !/could not bind|address already in use/i.test(serverLog(info))) {
          throw new Error(`${error.message}\n--- server.log ---\n${serverLog(info)}`);
        }
      }
    }
    return info;
  } catch (error) {
    await stopCluster(info);
    throw error;
  }
}

function urlFor(info, database) {
  return `postgres://${SUPERUSER}:${info.password}@${info.host}:${info.port}/${encodeURIComponent(database)}`;
}

/** CREATE DATABASE name; resolves to its URL. */
async function createDatabase(info, name) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${name} must match [a-z_][a-z0-9_]*`);
  const { Client } = require('pg');
  const client = new Client({ connectionString: urlFor(info, 'postgres') });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return urlFor(info, name);
}

function postmasterPid(info) {
  try {
    return Number(fs.readFileSync(path.join(info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

/** Whether `pid` still runs; a zombie (exited, not yet reaped by whoever adopted it) does not. */
const alive = (pid) => {
  if (fs.existsSync('/proc/self/stat')) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Stops the server (fast shutdown, SIGKILL of its postmaster if that fails), then removes the folder. Idempotent. */
async function stopCluster(info, { mode = 'fast' } = {}) {
  if (info.watchdogPid && alive(info.watchdogPid)) {
    try {
      process.kill(info.watchdogPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const pid = postmasterPid(info);
  if (pid && alive(pid)) {
    try {
      await run(info, 'pg_ctl', ['stop', '-D', info.dataDir, '-m', mode, '-w', '-t', '30'], { timeoutMs: 40_000 });
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    }
  }
  fs.rmSync(info.dir, { recursive: true, force: true });
}

function startWatchdog(info, ownerPid) {
  const child = spawn(process.execPath, [__filename, '--watchdog', String(ownerPid), JSON.stringify(info)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid;
}

if (require.main === module && process.argv[2] === '--watchdog') {
  const owner = Number(process.argv[3]);
  const info = JSON.parse(process.argv[4]);
  const timer = setInterval(() => {
    if (alive(owner)) return;
    clearInterval(timer);
    stopCluster({ ...info, watchdogPid: null }, { mode: 'immediate' }).finally(() => process.exit(0));
  }, 1000);
}

module.exports = { startCluster, stopCluster, createDatabase, urlFor, findBinDir, alive, INSTALL_HINT };
