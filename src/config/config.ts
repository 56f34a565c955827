import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPostgresUrl } from '../postgres/postgres-pool';
import { SqliteSynchronous } from '../sqlite/open-sqlite';
import { parseRetrySchedule } from '../webhooks/retry-schedule';
import { LogLevel, VARIABLES } from './variables';

export interface AppKey {
  appId: string;
  secret: string;
}

export interface GeneratedKey {
  appId: string;
  file: string;
}

export interface LedgerConfig {
  port: number;
  host: string;
  eventStoreUrl: string;
  /** SQLite file holding the read models (projections), unless they are in PostgreSQL. */
  projectionsPath: string;
  /** PostgreSQL database of the read models (READ_MODEL_URL, else a PostgreSQL EVENT_STORE_URL); null: the SQLite file. */
  readModelUrl: string | null;
  sqliteSynchronous: SqliteSynchronous;
  /** Connections per PostgreSQL pool (PG_POOL_SIZE). */
  pgPoolSize: number;
  apiKeys: AppKey[];
  /** Set when the key was generated on this start: where it was written (the secret is never logged). */
  generatedKey: GeneratedKey | null;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  logRequests: boolean;
  metricsEnabled: boolean;
  metricsToken: string | null;
  /** 0: off. */
  rateLimitPerMinute: number;
  readyMaxLagEvents: number;
  readyMaxLagSeconds: number;
  shutdownDrainDelayMs: number;
  shutdownTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Seconds before each delivery attempt (the first is normally 0). */
  webhookRetrySchedule: number[];
  webhookPollMs: number;
  /** Webhooks may go to loopback, private, link-local … addresses (off: refused, the SSRF guard). */
  webhookAllowPrivateUrls: boolean;
  expiryPollMs: number;
  /** How often the projection thread reads the log for events other processes wrote. */
  projectionPollMs: number;
  /** App Store signatures checked now with OCSP (true) or offline at each notification's signedDate. */
  appStoreOnlineChecks: boolean;
  /** PEM texts of roots trusted besides Apple's own (APP_STORE_EXTRA_ROOT_CERTS). */
  appStoreExtraRoots: string[];
  /** Google Play Developer API root (PLAY_API_ROOT_URL). */
  playApiRootUrl: string;
  /** Google's push OIDC certificates (PLAY_PUSH_CERTS_URL). */
  playPushCertsUrl: string;
  /** Stripe's API (STRIPE_API_BASE_URL). */
  stripeApiBaseUrl: string;
}

/** One line per mistake in `problems`; `message` joins them. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

export const CONFIG = Symbol('LEDGER_CONFIG');

export function parseApiKeys(raw: string): AppKey[] {
  const keys = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, i) => {
      const at = part.indexOf(':');
      // Without a colon the entry may be a bare secret: it is not echoed.
      if (at <= 0 || at === part.length - 1) {
        throw new ConfigError(`API_KEYS entry ${i + 1}${at > 0 ? ` ("${part.slice(0, at)}:…")` : ''} must be appId:secret`);
      }
      return { appId: part.slice(0, at), secret: part.slice(at + 1) };
    });
  if (keys.length === 0) throw new ConfigError('API_KEYS is set but holds no appId:secret pair');
  const ids = new Set(keys.map((k) => k.appId));
  if (ids.size !== keys.length) throw new ConfigError('API_KEYS names the same appId twice');
  return keys;
}

/** First start without API_KEYS: one app with a random key, kept in the data directory. */
function storedOrGeneratedKey(dataDir: string): { keys: AppKey[]; generated: GeneratedKey | null } {
  const file = join(dataDir, 'api-keys.json');
  if (existsSync(file)) return { keys: JSON.parse(readFileSync(file, 'utf8')) as AppKey[], generated: null };
  const key = { appId: 'default', secret: `secret_live_${randomBytes(24).toString('base64url')}` };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify([key], null, 2), { mode: 0o600 });
  return { keys: [key], generated: { appId: key.appId, file } };
}

/**
 * Reads every variable of the table; each mistake is reported (all of them, one line each),
 * not just the first.
 */
function parseAll(env: NodeJS.ProcessEnv): { values: Map<string, unknown>; problems: string[] } {
  const values = new Map<string, unknown>();
  const problems: string[] = [];
  const given = new Map(Object.entries(env));
  for (const v of VARIABLES) {
    const raw = given.get(v.name);
    if (raw === undefined || raw === '') continue;
    try {
      values.set(v.name, v.parse(raw));
    } catch (e) {
      // A value that may hold a secret (a password in a URL, a key) is never repeated back.
      const got = v.secret ? '' : ` (got "${raw.slice(0, 80)}")`;
      problems.push(`${v.name} ${e instanceof Error ? e.message : String(e)}${got}`);
    }
  }
  return { values, problems };
}

/** `generateKey: false` (command-line tools): never create a key file, fall back to an app named "default". */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { generateKey: boolean } = { generateKey: true }): LedgerConfig {
  const { values, problems } = parseAll(env);
  const get = <T>(name: string, fallback: T): T => (values.has(name) ? (values.get(name) as T) : fallback);
  let apiKeys: AppKey[] | null = null;
  if (env.API_KEYS) {
    try {
      apiKeys = parseApiKeys(env.API_KEYS);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  let webhookRetrySchedule: number[] = [];
  try {
    webhookRetrySchedule = parseRetrySchedule(env.WEBHOOK_RETRY_SCHEDULE);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  const headersTimeout = values.get('HEADERS_TIMEOUT_MS') as number | undefined;
  const requestTimeout = values.get('REQUEST_TIMEOUT_MS') as number | undefined;
  if ((headersTimeout ?? 10_000) > (requestTimeout ?? 30_000)) {
    problems.push('HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS (the head is part of the request)');
  }
  // Nothing is created (key file, data directory) when anything is wrong.
  if (problems.length > 0) throw new ConfigError(problems);

  const eventStoreUrl = get('EVENT_STORE_URL', 'sqlite:./data/ledger.sqlite');
  const sqlitePath = eventStoreUrl.startsWith('sqlite:') ? resolve(eventStoreUrl.slice('sqlite:'.length)) : null;
  const dataDir = resolve(get('DATA_DIR', sqlitePath ? dirname(sqlitePath) : './data'));
  const { keys, generated } = apiKeys
    ? { keys: apiKeys, generated: null }
    : options.generateKey || existsSync(join(dataDir, 'api-keys.json'))
      ? storedOrGeneratedKey(dataDir)
      : { keys: [], generated: null };
  return {
    port: get('PORT', 3000),
    host: get('HOST', '0.0.0.0'),
    eventStoreUrl,
    // Read models in their own file: their commits and WAL checkpoints do not queue behind the log's.
    projectionsPath: resolve(get('PROJECTIONS_PATH', join(dataDir, 'projections.sqlite'))),
    // Several nodes on one PostgreSQL log share its read models (one outbox, one set of leases).
    readModelUrl: get<string | null>('READ_MODEL_URL', isPostgresUrl(eventStoreUrl) ? eventStoreUrl : null),
    sqliteSynchronous: get<SqliteSynchronous>('SQLITE_SYNCHRONOUS', 'FULL'),
    pgPoolSize: get('PG_POOL_SIZE', 10),
    apiKeys: keys,
    generatedKey: generated,
    bodyLimitBytes: get('BODY_LIMIT_BYTES', 1024 * 1024),
    logLevel: get<LogLevel>('LOG_LEVEL', 'info'),
    logRequests: get('LOG_REQUESTS', true),
    metricsEnabled: get('METRICS_ENABLED', true),
    metricsToken: get<string | null>('METRICS_TOKEN', null),
    rateLimitPerMinute: get('RATE_LIMIT_PER_MINUTE', 0),
    readyMaxLagEvents: get('READY_MAX_LAG_EVENTS', 10_000),
    readyMaxLagSeconds: get('READY_MAX_LAG_SECONDS', 30),
    shutdownDrainDelayMs: get('SHUTDOWN_DRAIN_DELAY_MS', 0),
    shutdownTimeoutMs: get('SHUTDOWN_TIMEOUT_MS', 25_000),
    headersTimeoutMs: get('HEADERS_TIMEOUT_MS', 10_000),
    requestTimeoutMs: get('REQUEST_TIMEOUT_MS', 30_000),
    keepAliveTimeoutMs: get('KEEP_ALIVE_TIMEOUT_MS', 75_000),
    maxConnections: get('MAX_CONNECTIONS', 10_000),
    webhookRetrySchedule,
    webhookPollMs: get('WEBHOOK_POLL_MS', 100),
    webhookAllowPrivateUrls: get('WEBHOOK_ALLOW_PRIVATE_URLS', false),
    expiryPollMs: get('EXPIRY_POLL_MS', 1000),
    projectionPollMs: get('PROJECTION_POLL_MS', 100),
    appStoreOnlineChecks: get('APP_STORE_ONLINE_CHECKS', false),
    appStoreExtraRoots: get<string[]>('APP_STORE_EXTRA_ROOT_CERTS', []),
    playApiRootUrl: get('PLAY_API_ROOT_URL', 'https://androidpublisher.googleapis.com/'),
    playPushCertsUrl: get('PLAY_PUSH_CERTS_URL', 'https://www.googleapis.com/oauth2/v1/certs'),
    stripeApiBaseUrl: get('STRIPE_API_BASE_URL', 'https://api.stripe.com/'),
  };
}
