import { SHUTDOWN_STATE, ShutdownState } from '../src/lifecycle/shutdown-state';
import { envelope, GRANT, PROFILE } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';
import { WebhookReceiver } from './support/webhook-receiver';

const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes are answered before the read models apply them (they follow within milliseconds). */
const caughtUp = async (l: RunningLedger) => l.runtime.engine.reach(await l.runtime.store.headPosition(), 10_000);

let noiseIds = 0;
const noise = (l: RunningLedger, stream: string) =>
  l.runtime.store.append(stream, [{ eventId: `noise-${++noiseIds}`, type: 'Noise', data: {} }], { expected: 'no_stream', recordedAt: new Date() });

describe('health probes (no key, no data)', () => {
  let ledger: RunningLedger;

  beforeAll(async () => {
    ledger = await startLedger({ env: { READY_MAX_LAG_EVENTS: '3', READY_MAX_LAG_SECONDS: '1' } });
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'health-user', body: {} });
  });
  afterAll(() => ledger.close());

  it('GET /health/live answers 200 without a key, and with a wrong one', async () => {
    for (const key of [null, 'secret_wrong']) {
      const r = await call(ledger.url, { path: '/health/live', key });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
      expect(r.headers.get('cache-control')).toContain('no-store');
    }
  });

  it('GET /health/ready answers 200 naming each check, and reveals no data', async () => {
    await caughtUp(ledger);
    const r = await call(ledger.url, { path: '/health/ready', key: null });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(Object.keys(r.body.details).sort()).toEqual(['projections', 'shutdown', 'store']);
    expect(r.body.details.store).toEqual({ status: 'up' });
    expect(r.body.details.projections).toEqual({ status: 'up', read_models: { lag_events: 0, lag_seconds: 0 }, stopped_streams: 0 });
    const text = JSON.stringify(r.body);
    for (const secret of ['app1', 'health-user', KEYS.app1, ledger.dir]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(UUID_ANYWHERE);
  });

  it('is 503 naming "projections" when a read model falls behind the log: by age, then by count', async () => {
    await caughtUp(ledger);
    // The projection thread stops: from here on the read models fall behind whatever is appended.
    await ledger.runtime.engine.close();
    await noise(ledger, 'health-noise-0');
    expect((await call(ledger.url, { path: '/health/ready', key: null })).status).toBe(200);
    await sleep(1300);
    const old = await call(ledger.url, { path: '/health/ready', key: null });
    expect(old.status).toBe(503);
    expect(old.body.status).toBe('error');
    expect(Object.keys(old.body.error)).toEqual(['projections']);
    expect(old.body.error.projections.read_models.lag_events).toBe(1);
    expect(old.body.error.projections.read_models.lag_seconds).toBeGreaterThan(1);
    await Promise.all([1, 2, 3].map((i) => noise(ledger, `health-noise-${i}`)));
    const many = await call(ledger.url, { path: '/health/ready', key: null });
    expect(many.status).toBe(503);
    // Counted up to the limit: 3 or more events behind.
    expect(many.body.error.projections.read_models.lag_events).toBe(3);
    expect(many.body.info).toEqual({ shutdown: { status: 'up' }, store: { status: 'up' } });
  });

  it('is 503 naming "shutdown" from the moment shutdown begins, while liveness stays 200', async () => {
    const other = await startLedger();
    try {
      other.app.get<symbol, ShutdownState>(SHUTDOWN_STATE).begin();
      const r = await call(other.url, { path: '/health/ready', key: null });
      expect(r.status).toBe(503);
      expect(r.body.error).toEqual({ shutdown: { status: 'down', message: 'shutting down' } });
      expect((await call(other.url, { path: '/health/live', key: null })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('is 503 naming "store" when the event store does not answer, without its error text', async () => {
    const other = await startLedger();
    try {
      await other.runtime.store.close();
      const r = await call(other.url, { path: '/health/ready', key: null });
      expect(r.status).toBe(503);
      expect(r.body.error.store).toEqual({ status: 'down', message: 'the event store did not answer' });
      expect(JSON.stringify(r.body)).not.toContain(other.dir);
    } finally {
      await other.close();
    }
  });
});

/** Prometheus text → { 'name{labels}': value }. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const sample = (s: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const [key, value] of s) {
    const brace = key.indexOf('{');
    if ((brace === -1 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
};

describe('metrics', () => {
  const TOKEN = 'metrics-token-secret';
  let ledger: RunningLedger;
  let receiver: WebhookReceiver;

  const scrape = async () => {
    const r = await call(ledger.url, { path: '/metrics', key: null, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    return { text: r.body as string, samples: samples(r.body as string), contentType: r.headers.get('content-type') };
  };

  beforeAll(async () => {
    ledger = await startLedger({
      env: { METRICS_TOKEN: TOKEN, WEBHOOK_RETRY_SCHEDULE: '0,0,0', WEBHOOK_POLL_MS: '20', EXPIRY_POLL_MS: '50' },
    });
    receiver = new WebhookReceiver();
    const url = await receiver.start();
    const created = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url } });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await ledger.close();
    await receiver.stop();
  });

  it('needs the METRICS_TOKEN bearer token when one is set (401 envelope otherwise), never an API key', async () => {
    const refused = envelope(401, 'not_authenticated', 'non_field_errors', 'Invalid or missing metrics bearer token.');
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Api-Key ${KEYS.app1}` }, { authorization: TOKEN }]) {
      const r = await call(ledger.url, { path: '/metrics', key: null, headers });
      expect([headers, r.status, r.body]).toEqual([headers, 401, refused]);
    }
    const ok = await scrape();
    expect(ok.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts requests by route template, method and status, with latency; labels never hold ids', async () => {
    const users = Array.from({ length: 25 }, (_, i) => `metrics-user-${i}`);
    for (const u of users) expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: u, body: {} })).status).toBe(200);
    for (const u of users) expect((await call(ledger.url, { path: PROFILE, customerUserId: u })).status).toBe(200);
    for (const u of users.slice(0, 5)) expect((await call(ledger.url, { path: `/api/v1/sdk/profiles/${u}/` })).status).toBe(200);
    expect((await call(ledger.url, { path: `/no/such/path/${users[0]}` })).status).toBe(404);
    const { text, samples: s } = await scrape();
    const count = (labels: Record<string, string>) => sample(s, 'http_request_duration_seconds_count', labels);
    expect(count({ method: 'POST', route: '/api/v2/server-side-api/profile', status: '200' })).toBe(25);
    expect(count({ method: 'GET', route: '/api/v2/server-side-api/profile', status: '200' })).toBe(25);
    expect(count({ method: 'GET', route: '/api/v1/sdk/profiles/:id', status: '200' })).toBe(5);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(s, 'http_request_duration_seconds_bucket', { route: '/api/v2/server-side-api/profile', method: 'GET', le: '+Inf' })).toBe(25);
    expect(text).not.toMatch(/metrics-user|app1|app2/);
    expect(text).not.toMatch(UUID_ANYWHERE);
    const routes = new Set([...s.keys()].filter((k) => k.startsWith('http_request_duration_seconds_count')).map((k) => /route="([^"]*)"/.exec(k)![1]));
    expect([...routes].sort()).toEqual(['/admin/v1/webhook-endpoints', '/api/v1/sdk/profiles/:id', '/api/v2/server-side-api/profile', '/metrics', 'unmatched']);
  });

  it('reports appends, conflicts, group commits, projection lag, the outbox, deliveries by outcome and expiries', async () => {
    const before = samples((await scrape()).text);
    // A grant that runs out in a second: the expiry scheduler records it once the clock passes it.
    const grant = await call(ledger.url, {
      method: 'POST',
      path: GRANT,
      customerUserId: 'metrics-user-0',
      body: { access_level_id: 'premium', expires_at: new Date(ledger.clock.now().getTime() + 1000).toISOString() },
    });
    expect(grant.status).toBe(200);
    await receiver.waitFor((rs) => rs.some((r) => r.body.event_type === 'access_level_updated'));
    receiver.mode = { failFirst: 1 };
    ledger.clock.advance(2000);
    await receiver.waitFor((rs) => rs.some((r) => r.body.event_type === 'access_level_updated' && r.body.event_properties?.is_active === false), 10_000);
    // A concurrency conflict, as another process racing on a stream would cause.
    await noise(ledger, 'metrics-conflict');
    await expect(noise(ledger, 'metrics-conflict')).rejects.toThrow(/expected revision/i);

    await caughtUp(ledger);
    const { samples: s } = await scrape();
    const grew = (name: string, labels: Record<string, string> = {}) => (sample(s, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(grew('ledger_appends_total')).toBeGreaterThanOrEqual(3);
    expect(grew('ledger_appended_events_total')).toBeGreaterThanOrEqual(3);
    expect(grew('ledger_append_conflicts_total')).toBe(1);
    expect(grew('ledger_group_commit_appends_count')).toBeGreaterThanOrEqual(1);
    expect(grew('ledger_group_commit_fsync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(grew('ledger_expiries_recorded_total')).toBe(1);
    expect(grew('ledger_webhook_delivery_attempts_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
    expect(grew('ledger_webhook_delivery_attempts_total', { outcome: 'retry' })).toBe(1);
    expect(grew('ledger_webhook_delivery_duration_seconds_count', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
    expect(sample(s, 'ledger_projection_lag_events', { projection: 'read_models' })).toBe(0);
    expect(sample(s, 'ledger_projection_lag_seconds', { projection: 'read_models' })).toBe(0);
    expect(sample(s, 'ledger_stopped_streams')).toBe(0);
    expect(sample(s, 'ledger_webhook_outbox_pending')).toBe(0);
    expect(sample(s, 'ledger_webhook_outbox_failed')).toBe(0);
    // Node's and the process's own metrics.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect([name, sample(s, name) !== undefined]).toEqual([name, true]);
    }
  });

  it('METRICS_ENABLED=0: no /metrics route', async () => {
    const off = await startLedger({ env: { METRICS_ENABLED: '0' } });
    try {
      const r = await call(off.url, { path: '/metrics', key: null });
      expect(r.status).toBe(404);
      expect(r.body.error_code).toBe('not_found');
    } finally {
      await off.close();
    }
  });
});
