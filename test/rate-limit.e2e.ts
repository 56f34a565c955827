import { envelope, PROFILE } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';

/** RATE_LIMIT_PER_MINUTE: per app key; 429 `rate_limited` in Adapty's envelope with Retry-After. */
describe('rate limits', () => {
  let ledger: RunningLedger;

  beforeAll(async () => {
    ledger = await startLedger({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => ledger.close());

  it('the request over the limit gets 429 rate_limited with Retry-After; another app keeps its own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await call(ledger.url, { path: PROFILE, customerUserId: `rl-${i}`, key: KEYS.app1 })).status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    const limited = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'rl-new', key: KEYS.app1, body: {} });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body).toEqual(envelope(429, 'rate_limited', null, `Request was throttled. Expected available in ${retryAfter} seconds.`));
    // Nothing was written by the refused request.
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'rl-new', key: KEYS.app2 })).status).toBe(404);
    // app2's budget is its own (that GET was its first request).
    for (let i = 0; i < 4; i++) expect((await call(ledger.url, { path: '/admin/v1/products', key: KEYS.app2 })).status).toBe(200);
    expect((await call(ledger.url, { path: '/admin/v1/products', key: KEYS.app2 })).status).toBe(429);
  });

  it('requests without a valid key are limited per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(ledger.url, { path: PROFILE, key: 'secret_wrong' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('health, metrics and the API document are never limited', async () => {
    for (let i = 0; i < 10; i++) {
      for (const path of ['/health/live', '/health/ready', '/metrics', '/openapi.json']) {
        expect([path, (await call(ledger.url, { path, key: null })).status]).toEqual([path, 200]);
      }
    }
  });

  it('is off by default', async () => {
    const open = await startLedger();
    try {
      for (let i = 0; i < 20; i++) expect((await call(open.url, { path: '/admin/v1/products' })).status).toBe(200);
      expect((await call(open.url, { path: '/admin/v1/products' })).headers.get('x-ratelimit-limit')).toBeNull();
    } finally {
      await open.close();
    }
  });
});
