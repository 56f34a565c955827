import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPostgresUrl, postgresUrlProblem } from '../postgres/postgres-pool';
import { SqliteSynchronous } from '../sqlite/open-sqlite';
import { parseRetrySchedule } from '../webhooks/retry-schedule';

export interface AppKey {
  appId: string;
  secret: string;
}

export interface LedgerConfig {
  port: number;
  host: string;
  eventStoreUrl: string;
  /** SQLite file holding the read models (projections). */
  projectionsPath: string;
  sqliteSynchronous: SqliteSynchronous;
  /** Connections per PostgreSQL pool (PG_POOL_SIZE). */
  pgPoolSize: number;
  apiKeys: AppKey[];
  /** Set when the keys were generated on this start: printed once. */
  generatedKey: AppKey | null;
  bodyLimitBytes: number;
  logRequests: boolean;
  /** Seconds before each delivery attempt (the first is normally 0). */
  webhookRetrySchedule: number[];
  webhookPollMs: number;
  /** Webhooks may go to loopback, private, link-local … addresses (off: refused, the SSRF guard). */
  webhookAllowPrivateUrls: boolean;
  expiryPollMs: number;
  /** How often the projection thread reads the log for events other processes wrote. */
  projectionPollMs: number;
}

export class ConfigError extends Error {}

export const CONFIG = Symbol('LEDGER_CONFIG');

export function parseApiKeys(raw: string): AppKey[] {
  const keys = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf(':');
      if (at <= 0 || at === part.length - 1) throw new ConfigError(`API_KEYS entry "${part.split(':')[0]}:…" must be appId:secret`);
      return { appId: part.slice(0, at), secret: part.slice(at + 1) };
    });
  if (keys.length === 0) throw new ConfigError('API_KEYS is set but holds no appId:secret pair');
  const ids = new Set(keys.map((k) => k.appId));
  if (ids.size !== keys.length) throw new ConfigError('API_KEYS names the same appId twice');
  return keys;
}

/** First start without API_KEYS: one app with a random key, kept in the data directory. */
function storedOrGeneratedKey(dataDir: string): { keys: AppKey[]; generated: AppKey | null } {
  const file = join(dataDir, 'api-keys.json');
  if (existsSync(file)) return { keys: JSON.parse(readFileSync(file, 'utf8')) as AppKey[], generated: null };
  const key = { appId: 'default', secret: `secret_live_${randomBytes(24).toString('base64url')}` };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify([key], null, 2), { mode: 0o600 });
  return { keys: [key], generated: key };
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer`);
  return n;
}

function flag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true or false`);
}

function retrySchedule(raw: string | undefined): number[] {
  try {
    return parseRetrySchedule(raw);
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
}

/** `generateKey: false` (command-line tools): never create a key file, fall back to an app named "default". */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { generateKey: boolean } = { generateKey: true }): LedgerConfig {
  const eventStoreUrl = env.EVENT_STORE_URL ?? 'sqlite:./data/ledger.sqlite';
  const isSqlite = eventStoreUrl.startsWith('sqlite:');
  if (isPostgresUrl(eventStoreUrl)) {
    const problem = postgresUrlProblem(eventStoreUrl);
    if (problem) throw new ConfigError(`EVENT_STORE_URL ${problem}`);
  } else if (!isSqlite && !eventStoreUrl.startsWith('esdb://') && !eventStoreUrl.startsWith('esdb+discover://')) {
    throw new ConfigError('EVENT_STORE_URL must start with sqlite:, postgres:// (or postgresql://) or esdb://');
  }
  const sqlitePath = isSqlite ? resolve(eventStoreUrl.slice('sqlite:'.length)) : null;
  const dataDir = resolve(env.DATA_DIR ?? (sqlitePath ? dirname(sqlitePath) : './data'));
  const synchronous = (env.SQLITE_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new ConfigError('SQLITE_SYNCHRONOUS must be FULL or NORMAL');
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT must be an integer from 0 to 65535');
  const { keys, generated } = env.API_KEYS
    ? { keys: parseApiKeys(env.API_KEYS), generated: null }
    : options.generateKey || existsSync(join(dataDir, 'api-keys.json'))
      ? storedOrGeneratedKey(dataDir)
      : { keys: [], generated: null };
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    eventStoreUrl,
    // Read models in their own file: their commits and WAL checkpoints do not queue behind the log's.
    projectionsPath: resolve(env.PROJECTIONS_PATH ?? join(dataDir, 'projections.sqlite')),
    sqliteSynchronous: synchronous,
    pgPoolSize: positiveInt('PG_POOL_SIZE', env.PG_POOL_SIZE, 10),
    apiKeys: keys,
    generatedKey: generated,
    bodyLimitBytes: Number(env.BODY_LIMIT_BYTES ?? 1024 * 1024),
    logRequests: env.LOG_REQUESTS === '1',
    webhookRetrySchedule: retrySchedule(env.WEBHOOK_RETRY_SCHEDULE),
    webhookPollMs: positiveInt('WEBHOOK_POLL_MS', env.WEBHOOK_POLL_MS, 100),
    webhookAllowPrivateUrls: flag('WEBHOOK_ALLOW_PRIVATE_URLS', env.WEBHOOK_ALLOW_PRIVATE_URLS),
    expiryPollMs: positiveInt('EXPIRY_POLL_MS', env.EXPIRY_POLL_MS, 1000),
    projectionPollMs: positiveInt('PROJECTION_POLL_MS', env.PROJECTION_POLL_MS, 100),
  };
}
