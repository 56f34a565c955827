import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isPostgresUrl, postgresUrlProblem } from '../postgres/postgres-pool';

/**
 * Every environment variable the server reads: one table feeds validation at start, `--help`,
 * and the test that the README lists them all. A parser gets a non-empty raw value and either
 * returns it parsed or throws a one-line message (an unset or empty variable takes its default).
 */
export interface Variable {
  name: string;
  /** The default as a reader sees it (documentation; the value itself is applied in config.ts). */
  default: string;
  meaning: string;
  /** Throws an Error whose message says what is expected. */
  parse(raw: string): unknown;
  /** The value may hold a secret: a mistake is reported without repeating it. */
  secret?: boolean;
}

export class InvalidValue extends Error {}

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidValue(max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`);
    }
    return n;
  };

export const oneOf =
  <T extends string>(values: readonly T[], caseInsensitive = false) =>
  (raw: string): T => {
    const v = (caseInsensitive ? raw.toUpperCase() : raw).trim() as T;
    if (!values.includes(v)) throw new InvalidValue(`must be one of ${values.join(', ')}`);
    return v;
  };

export const flag = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InvalidValue('must be 1 or 0 (true/false)');
};

const text = (raw: string): string => raw;

function httpUrl(raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error(`expected an http(s) URL, got "${raw}"`);
  return url.href;
}

/** An http(s) URL ending in a slash: Google's client joins paths to it. */
const baseUrl = (raw: string): string => (httpUrl(raw).endsWith('/') ? httpUrl(raw) : `${httpUrl(raw)}/`);

/** A PEM file holding one certificate: its text (checked to parse as X.509). */
function pemCertificate(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidValue(`cannot read ${path}`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new InvalidValue(`${path} is not a PEM certificate`);
  }
  return pem;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const VARIABLES: readonly Variable[] = [
  { name: 'PORT', default: '3000', meaning: 'HTTP port', parse: integer(0, 65535) },
  { name: 'HOST', default: '0.0.0.0', meaning: 'Interface to listen on', parse: text },
  {
    name: 'EVENT_STORE_URL',
    default: 'sqlite:./data/ledger.sqlite',
    meaning: '`sqlite:<path>` (embedded), `postgres://user:pass@host:5432/db` (also `postgresql://`; PostgreSQL) or `esdb://host:2113?tls=false` (EventStoreDB)',
    secret: true,
    parse: (raw) => {
      if (isPostgresUrl(raw)) {
        const problem = postgresUrlProblem(raw);
        if (problem) throw new InvalidValue(problem);
        return raw;
      }
      if (!/^(sqlite:.+|esdb(\+discover)?:\/\/.+)$/.test(raw)) throw new InvalidValue('must start with sqlite:, postgres:// (or postgresql://) or esdb://');
      return raw;
    },
  },
  { name: 'PG_POOL_SIZE', default: '10', meaning: 'Connections in each PostgreSQL pool', parse: integer(1, 1000) },
  {
    name: 'READ_MODEL_URL',
    default: 'EVENT_STORE_URL when it is PostgreSQL, else PROJECTIONS_PATH',
    meaning:
      '`postgres://user:pass@host:5432/db` (also `postgresql://`): the read models, webhook outbox and delivery leases in PostgreSQL, shared by every node (tables `ledger_rm_*`). Unset: the PostgreSQL event store\'s database, else the SQLite file PROJECTIONS_PATH',
    secret: true,
    parse: (raw) => {
      const problem = postgresUrlProblem(raw);
      if (problem) throw new InvalidValue(problem);
      return raw;
    },
  },
  {
    name: 'API_KEYS',
    default: '(generated)',
    meaning:
      'Comma-separated `appId:secret` pairs, e.g. `app1:s3cret,app2:0ther`. Without it, the key in `DATA_DIR/api-keys.json` is used (created on first start).',
    parse: text, // parsed by parseApiKeys in config.ts, which names the faulty entry
    secret: true,
  },
  { name: 'DATA_DIR', default: 'folder of the SQLite file, else ./data', meaning: 'Where the generated key (and, on EventStoreDB, the read models) live', parse: text },
  { name: 'PROJECTIONS_PATH', default: 'DATA_DIR/projections.sqlite', meaning: 'SQLite file of the read models (rebuildable from the log at any time), when they are not in PostgreSQL (READ_MODEL_URL)', parse: text },
  {
    name: 'SQLITE_SYNCHRONOUS',
    default: 'FULL',
    meaning: '`FULL`: a 2xx survives power loss. `NORMAL` (opt-in): survives a process crash, not a power cut',
    parse: oneOf(['FULL', 'NORMAL'] as const, true),
  },
  { name: 'BODY_LIMIT_BYTES', default: '1048576', meaning: 'Larger request bodies get a 413 envelope', parse: integer(1) },
  { name: 'LOG_LEVEL', default: 'info', meaning: `JSON log lines on stdout at this level and above: ${LOG_LEVELS.join(', ')}`, parse: oneOf(LOG_LEVELS) },
  {
    name: 'LOG_REQUESTS',
    default: '1',
    meaning: '`1`: one `info` line per request (request id, app id, method, route, status, latency). `0`: none. Keys, headers and bodies are never logged.',
    parse: flag,
  },
  { name: 'METRICS_ENABLED', default: '1', meaning: '`0` turns off `/metrics` (404) and the request metrics', parse: flag },
  { name: 'METRICS_TOKEN', default: '(none)', meaning: 'When set, `GET /metrics` needs `Authorization: Bearer <token>`', parse: text, secret: true },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    default: '0 (off)',
    meaning: 'Requests per minute per app key (per client address for requests without a valid key); over it: 429 `rate_limited` with `Retry-After`',
    parse: integer(0),
  },
  { name: 'READY_MAX_LAG_EVENTS', default: '10000', meaning: '`/health/ready` answers 503 when a read model is this many events (or more) behind the log', parse: integer(1) },
  {
    name: 'READY_MAX_LAG_SECONDS',
    default: '30',
    meaning: '… or when the oldest event a read model has not applied is older than this',
    parse: integer(1),
  },
  {
    name: 'SHUTDOWN_DRAIN_DELAY_MS',
    default: '0',
    meaning: 'On SIGTERM, readiness turns 503 at once; the server keeps accepting for this long (so load balancers stop routing to it) before it stops',
    parse: integer(0),
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    default: '25000',
    meaning: 'After SIGTERM the process exits 0 once requests in flight are answered and the stores are closed; past this deadline it cuts what is left and exits 1',
    parse: integer(1),
  },
  { name: 'HEADERS_TIMEOUT_MS', default: '10000', meaning: 'A client that has not sent its whole request head by then is disconnected (408)', parse: integer(1) },
  { name: 'REQUEST_TIMEOUT_MS', default: '30000', meaning: 'A client that has not sent its whole request (head and body) by then is disconnected (408)', parse: integer(1) },
  {
    name: 'KEEP_ALIVE_TIMEOUT_MS',
    default: '75000',
    meaning: 'Idle keep-alive connections are closed after this; longer than load balancers\' idle timeouts (AWS ALB 60 s), so they close first',
    parse: integer(1),
  },
  { name: 'MAX_CONNECTIONS', default: '10000', meaning: 'Open connections accepted at once; further ones are closed on arrival', parse: integer(1) },
  {
    name: 'WEBHOOK_RETRY_SCHEDULE',
    default: '0,5,300,1800,7200,18000,36000,36000',
    meaning: 'Seconds before each delivery attempt (±10 % jitter); after the last one a delivery is `failed` (and stays redeliverable)',
    parse: text, // parsed by parseRetrySchedule
  },
  {
    name: 'WEBHOOK_POLL_MS',
    default: '100',
    meaning: "How often the outbox and the delivery worker look for work written by other processes (this process's own writes are picked up at once)",
    parse: integer(1),
  },
  {
    name: 'WEBHOOK_ALLOW_PRIVATE_URLS',
    default: 'false',
    meaning:
      'Webhook URLs may point at loopback, private, link-local, unique-local and unspecified addresses (refused by default, at registration and at every delivery after DNS resolution: the SSRF guard). For tests and receivers on the same host or network.',
    parse: flag,
  },
  { name: 'EXPIRY_POLL_MS', default: '1000', meaning: 'How often the expiry scheduler looks for expiries that fell due', parse: integer(1) },
  {
    name: 'APP_STORE_ONLINE_CHECKS',
    default: 'false',
    meaning:
      "`true`: App Store signatures are checked at the current time with Apple's OCSP revocation checks (the ledger must reach Apple). Off: each certificate chain is checked at the notification's signedDate, offline",
    parse: flag,
  },
  {
    name: 'APP_STORE_EXTRA_ROOT_CERTS',
    default: '(none)',
    meaning:
      "Comma-separated paths of PEM files of further root certificates App Store signatures may chain to (tests with a self-made chain). Apple Root CA - G3, shipped with the ledger, is always trusted; nothing else is unless named here",
    parse: (raw) => raw.split(',').map((path) => path.trim()).filter((path) => path !== '').map(pemCertificate),
  },
  {
    name: 'PLAY_API_ROOT_URL',
    default: 'https://androidpublisher.googleapis.com/',
    meaning: "Root URL of the Google Play Developer API (a stand-in for tests). Access tokens come from each service account's own `token_uri`",
    parse: baseUrl,
  },
  {
    name: 'PLAY_PUSH_CERTS_URL',
    default: 'https://www.googleapis.com/oauth2/v1/certs',
    meaning: "Where Google's certificates for Pub/Sub push OIDC tokens are fetched (PEM by key id; cached as Google's Cache-Control says)",
    parse: httpUrl,
  },
  {
    name: 'STRIPE_API_BASE_URL',
    default: 'https://api.stripe.com/',
    meaning: "Stripe's API (a stand-in for tests): where subscriptions are read again before an event is applied, and what Adapty's Stripe validation reads",
    parse: baseUrl,
  },
  {
    name: 'PROJECTION_POLL_MS',
    default: '100',
    meaning: "How often the projection thread reads the log for events other processes wrote (this process's own writes wake it at once)",
    parse: integer(1),
  },
];

/** `node dist/main.js --help`: every variable, its default and meaning. */
export function helpText(): string {
  const width = Math.max(...VARIABLES.map((v) => v.name.length));
  const lines = [
    'Subscription ledger: an event-sourced subscription service, wire-compatible with Adapty\'s server-side API v2.',
    '',
    'Usage: node dist/main.js            (or npm start)',
    '       node dist/main.js --help',
    '',
    'Configuration is read from the environment; every variable is checked at start (exit 2 on a mistake):',
    '',
  ];
  for (const v of VARIABLES) {
    lines.push(`  ${v.name.padEnd(width)}  ${v.meaning.replace(/`/g, '')}`);
    lines.push(`  ${''.padEnd(width)}  default: ${v.default}`);
  }
  lines.push('', 'Endpoints without a key: GET /health/live, GET /health/ready, GET /metrics, GET /openapi.json, GET /docs');
  return lines.join('\n') + '\n';
}
