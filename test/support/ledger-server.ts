import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLedgerApp } from '../../src/app.factory';
import type { LedgerRuntime } from '../../src/ledger-runtime';
import { loadConfig } from '../../src/config/config';
import { Clock } from '../../src/domain/shared/clock';
import { storeEnv } from './test-store';

export const KEYS = { app1: 'secret_app1_key', app2: 'secret_app2_key' };

/** A settable clock for tests that need time to pass. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface RunningLedger {
  url: string;
  dir: string;
  app: NestFastifyApplication;
  /** The event store and the projection engine under the app. */
  runtime: LedgerRuntime;
  clock: TestClock;
  /** Stops the server, keeping its files (for restart tests). */
  stop(): Promise<void>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
}

/**
 * The real server on a loopback port over a real store: a SQLite file in a temporary directory, or a
 * fresh PostgreSQL database with LEDGER_TEST_STORE=postgres (test/support/test-store.ts).
 */
export async function startLedger(options: { dir?: string; env?: Record<string, string>; clock?: TestClock } = {}): Promise<RunningLedger> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
  const clock = options.clock ?? new TestClock();
  const config = loadConfig({
    ...(options.env?.EVENT_STORE_URL ? {} : await storeEnv(dir)),
    API_KEYS: `app1:${KEYS.app1},app2:${KEYS.app2}`,
    PORT: '0',
    HOST: '127.0.0.1',
    // Test receivers listen on loopback; the SSRF guard's own tests turn this off.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    // Request lines would flood the test output; warnings and errors still show.
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  let app: NestFastifyApplication;
  let runtime: LedgerRuntime;
  try {
    ({ app, runtime } = await createLedgerApp(config, clock));
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    // A server that failed to start leaves no files behind either (unless the caller owns the directory).
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    app,
    runtime,
    clock,
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Call {
  method?: string;
  path: string;
  key?: string | null;
  customerUserId?: string;
  profileId?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** One real HTTP request; `key` defaults to app1's, null sends no Authorization. */
export async function call(base: string, c: Call): Promise<Reply> {
  const headers: Record<string, string> = { ...c.headers };
  const key = c.key === undefined ? KEYS.app1 : c.key;
  if (key !== null) headers.authorization = `Api-Key ${key}`;
  if (c.customerUserId !== undefined) headers['adapty-customer-user-id'] = c.customerUserId;
  if (c.profileId !== undefined) headers['adapty-profile-id'] = c.profileId;
  let body: string | undefined;
  if (c.rawBody !== undefined) body = c.rawBody;
  else if (c.body !== undefined) body = JSON.stringify(c.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${c.path}`, { method: c.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const V2 = '/api/v2/server-side-api';
