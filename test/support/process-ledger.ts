/**
 * Real `node dist/main.js` processes for the process-level tests: spawn, wait until they
 * answer HTTP, kill (SIGKILL / SIGTERM), and clean up whatever is left, even on failure.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { storeEnv } from './test-store';

const ROOT = resolve(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const MAIN = join(DIST, 'main.js');
export const V2 = '/api/v2/server-side-api';
export const SECRET = 'secret_process_app1';
export const API_KEYS = `app1:${SECRET}`;

const live = new Set<LedgerProcess>();
const dirs = new Set<string>();

let snapshot: string | null = null;

// Last resort if Jest itself dies: never leave a server behind.
process.once('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
});

const countFiles = (dir: string): number => readdirSync(dir, { recursive: true }).length;

/**
 * A private copy of dist/ taken once per test file: every process in the file runs the same
 * build even if `nest build` (which empties dist/ first) runs meanwhile in the same checkout.
 * The copy finds its packages through NODE_PATH.
 */
let snapshotting: Promise<string> | null = null;
function builtMain(): Promise<string> {
  // One copy per file, even when the first servers start in parallel.
  snapshotting ??= copyDist().catch((error) => {
    snapshotting = null;
    throw error;
  });
  return snapshotting;
}

async function copyDist(): Promise<string> {
  const deadline = Date.now() + 30000;
  // A build in progress: wait for dist/main.js and for the file count to settle.
  let last = -1;
  for (;;) {
    const n = existsSync(MAIN) ? countFiles(DIST) : -1;
    if (n > 0 && n === last) break;
    if (Date.now() > deadline) throw new Error(`${MAIN} is missing: run npm run build (npm test does it in pretest)`);
    last = n;
    await sleep(n > 0 ? 300 : 200);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ledger-dist-'));
  cpSync(DIST, dir, { recursive: true });
  snapshot = dir;
  return join(dir, 'main.js');
}

export function tempDir(prefix = 'ledger-proc-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** A port nobody listens on right now (the OS picks it; we close and hand it over). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LedgerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((res) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        res(this.exit);
      });
    });
    live.add(this);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** SIGKILL: no shutdown hook, no flush, nothing. */
  async kill9(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after `graceMs`, reported as a failure by the caller). */
  async stop(graceMs = 5000): Promise<Exit> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Resolves once stdout matches (the banner is written right after listen). */
  async waitForStdout(pattern: RegExp, timeoutMs = 3000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stdout);
      if (m) return m;
      if (Date.now() > deadline || !this.alive) throw new Error(`stdout never matched ${pattern}: ${this.describe()}`);
      await sleep(20);
    }
  }

  describe(): string {
    return `pid ${this.child.pid} port ${this.port} exit ${JSON.stringify(this.exit)}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartOptions {
  /**
   * The ledger's directory: EVENT_STORE_URL is sqlite:<dir>/ledger.sqlite, or the directory's own
   * PostgreSQL database with LEDGER_TEST_STORE=postgres, unless env names one (test/support/test-store.ts).
   */
  dir: string;
  env?: Record<string, string | undefined>;
  /** Default: API_KEYS for app1; pass `{API_KEYS: undefined}` in env to start without keys. */
  readyTimeoutMs?: number;
  /** Options for node itself, before the script (e.g. `--require` a module). */
  nodeArgs?: string[];
}

/** The private copy of dist/ this file's processes run (see builtMain). */
export async function builtDist(): Promise<string> {
  return dirname(await builtMain());
}

/** Only what the server needs, so the developer's own API_KEYS / EVENT_STORE_URL never leak in. */
export function processEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SystemRoot']) if (process.env[k] !== undefined) clean[k] = process.env[k];
  clean.NODE_PATH = join(ROOT, 'node_modules');
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  return clean;
}

/** Spawns the built server without waiting for anything. */
export async function spawnLedger(env: Record<string, string | undefined>, port = 0, nodeArgs: string[] = []): Promise<LedgerProcess> {
  const main = await builtMain();
  const child = spawn(process.execPath, [...nodeArgs, main], { env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  return new LedgerProcess(child, port);
}

/** Starts a server on a fresh port and resolves once it answers HTTP. */
export async function startLedger(options: StartOptions): Promise<LedgerProcess> {
  const store = options.env && 'EVENT_STORE_URL' in options.env ? {} : await storeEnv(options.dir);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = await spawnLedger(
      {
        ...store,
        API_KEYS,
        HOST: '127.0.0.1',
        // Test receivers listen on loopback; pass 'false' to test the SSRF guard.
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        ...options.env,
        PORT: String(port),
      },
      port,
      options.nodeArgs,
    );
    try {
      await waitReady(proc, options.readyTimeoutMs ?? 15000);
      return proc;
    } catch (error) {
      await proc.kill9();
      // Someone grabbed the port between freePort() and listen(): try another one.
      if (attempt < 3 && /EADDRINUSE/.test(proc.stderr)) continue;
      throw error;
    }
  }
}

async function waitReady(proc: LedgerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.alive) throw new Error(`server exited before it was ready: ${proc.describe()}`);
    try {
      // Any HTTP answer (401 without a key) means listen() has completed.
      const res = await fetch(`${proc.url}${V2}/profile/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(`server not ready after ${timeoutMs} ms: ${proc.describe()}`);
}

/** Kills every server still running (SIGKILL) and waits for them to be gone. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill9()));
}

/** Kills every server, then removes every temporary directory made by tempDir(). */
export async function cleanup(): Promise<void> {
  await killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** cleanup() plus the private copy of dist/: for the file's last afterAll. */
export async function cleanupAll(): Promise<void> {
  await cleanup();
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  snapshot = null;
  snapshotting = null;
}

export interface Reply {
  status: number;
  body: any;
}

export interface Req {
  method?: string;
  path?: string;
  key?: string | null;
  customerUserId?: string;
  profileId?: string;
  body?: unknown;
}

/** One HTTP request; rejects only when no response arrived (connection refused or reset). */
export async function http(base: string, r: Req): Promise<Reply> {
  const headers: Record<string, string> = {};
  const key = r.key === undefined ? SECRET : r.key;
  if (key !== null) headers.authorization = `Api-Key ${key}`;
  if (r.customerUserId !== undefined) headers['adapty-customer-user-id'] = r.customerUserId;
  if (r.profileId !== undefined) headers['adapty-profile-id'] = r.profileId;
  let body: string | undefined;
  if (r.body !== undefined) {
    body = JSON.stringify(r.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${r.path ?? `${V2}/profile/`}`, {
    method: r.method ?? 'GET',
    headers,
    body,
    signal: AbortSignal.timeout(20000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed };
}

export const getProfile = (base: string, customerUserId: string, key?: string) => http(base, { customerUserId, key });

/** The GET body with the one field that depends on the time of reading removed. */
export function stable(body: any): any {
  if (!body || typeof body !== 'object' || !body.data) return body;
  const { timestamp: _ignored, ...rest } = body.data;
  return { ...body, data: rest };
}
