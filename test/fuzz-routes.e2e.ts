import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { createProfile, GRANT, PROFILE, SET, subscriptionBody, withoutTimestamp } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { rawCall, RawReply } from './support/raw-http';
import { storeEnv } from './support/test-store';

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');

/** Every route the API serves, with `{id}` and `{level}` where a path parameter goes. */
const ROUTES: Array<[string, string]> = [
  ['POST', `${V2}/profile/`],
  ['GET', `${V2}/profile/`],
  ['GET', `${V2}/profile/?as_of={id}`],
  ['GET', `${V2}/profile/history/?limit={id}&cursor={id}`],
  ['PATCH', `${V2}/profile/`],
  ['DELETE', `${V2}/profile/`],
  ['POST', `${V2}/purchase/set/transaction/`],
  ['POST', `${V2}/purchase/profile/grant/access-level/`],
  ['POST', `${V2}/grant/access-level/`],
  ['POST', `${V2}/purchase/profile/revoke/access-level/`],
  ['GET', '/admin/v1/access-levels'],
  ['PUT', '/admin/v1/access-levels/{id}'],
  ['GET', '/admin/v1/products'],
  ['PUT', '/admin/v1/products/{id}'],
  ['POST', '/admin/v1/webhook-endpoints'],
  ['GET', '/admin/v1/webhook-endpoints'],
  ['GET', '/admin/v1/webhook-endpoints/{id}'],
  ['PATCH', '/admin/v1/webhook-endpoints/{id}'],
  ['DELETE', '/admin/v1/webhook-endpoints/{id}'],
  ['POST', '/admin/v1/webhook-endpoints/{id}/rotate-secret'],
  ['GET', '/admin/v1/webhook-endpoints/{id}/deliveries?limit={id}'],
  ['GET', '/admin/v1/webhook-deliveries?profile_id={id}&limit={id}&cursor={id}'],
  ['POST', '/admin/v1/webhook-deliveries/{id}/redeliver'],
  ['GET', '/api/v1/sdk/profiles/{id}/'],
  ['GET', '/api/v1/sdk/profiles/{id}/?extended=1&is_user_id_base64url_encoded=1'],
  ['POST', '/api/v1/sdk/profiles/'],
  ['PATCH', '/api/v1/sdk/profiles/{id}/'],
  ['DELETE', '/api/v1/sdk/profiles/{id}/delete'],
  ['POST', '/api/v1/sdk/profiles/{id}/paid-access-levels/{level}/grant/'],
  ['POST', '/api/v1/sdk/profiles/{id}/paid-access-levels/{level}/revoke/'],
  ['POST', '/api/v1/sdk/purchase/stripe/token/validate/'],
  ['GET', '/console'],
  ['GET', '/no/such/route'],
];

/** Values only app2's seeded data holds. */
const APP2_ONLY = ['"team"', 'app2-only-tx-7f3', 'app2.only.product'];

const HOSTILE = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '..', '%2e%2e%2f', '%00', '%ff', '%', 'premium'];

/**
 * Random methods, routes, ids, headers and bodies from two apps' keys: no answer is a 5xx, every 4xx
 * is the envelope, app1's key never shows or changes app2's data, and afterwards the server restarts
 * and `ledger verify` finds the read models equal to a rebuild from the log.
 */
describe('fuzzing every route with two apps', () => {
  let ledger: RunningLedger;
  let app2Profile: string;
  let app2Snapshot: unknown;
  const app2 = { user: 'fuzz-app2-secret-user' };

  const snapshotApp2 = async () => ({
    profile: withoutTimestamp(await call(ledger.url, { path: PROFILE, customerUserId: app2.user, key: KEYS.app2 })),
    history: (await call(ledger.url, { path: `${V2}/profile/history/`, customerUserId: app2.user, key: KEYS.app2 })).body,
    levels: (await call(ledger.url, { path: '/admin/v1/access-levels', key: KEYS.app2 })).body,
    products: (await call(ledger.url, { path: '/admin/v1/products', key: KEYS.app2 })).body,
    endpoints: (await call(ledger.url, { path: '/admin/v1/webhook-endpoints', key: KEYS.app2 })).body,
  });

  beforeAll(async () => {
    // Private webhook URLs refused (the default): no fuzzed URL can make the server connect anywhere.
    ledger = await startLedger({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } });
    for (const key of [KEYS.app1, KEYS.app2]) {
      await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/premium.monthly', key, body: { access_level_id: 'premium' } });
    }
    const created = await call(ledger.url, {
      method: 'POST',
      path: PROFILE,
      customerUserId: app2.user,
      key: KEYS.app2,
      body: { custom_attributes: [{ key: 'team', value: 'two' }] },
    });
    app2Profile = created.body.data.profile_id;
    const app2Transaction = subscriptionBody(ledger.clock, {
      store_product_id: 'app2.only.product',
      store_transaction_id: 'app2-only-tx-7f3',
      store_original_transaction_id: 'app2-only-tx-7f3',
    });
    expect((await call(ledger.url, { method: 'POST', path: SET, customerUserId: app2.user, key: KEYS.app2, body: app2Transaction })).status).toBe(200);
    expect((await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: app2.user, key: KEYS.app2, body: { access_level_id: 'premium' } })).status).toBe(200);
    await createProfile(ledger.url, 'fuzz-app1-user');
    app2Snapshot = await snapshotApp2();
  });
  afterAll(() => ledger.close());

  it('answers every request below 500, in the envelope when refused, never crossing apps', async () => {
    const idArb = fc.oneof(
      fc.constantFrom(...HOSTILE),
      fc.constantFrom(app2.user, 'fuzz-app1-user'),
      fc.constant('APP2_PROFILE'),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
      fc.uuid(),
    );
    const bodyArb = fc.oneof(
      fc.constant(undefined),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 60 }),
      fc.record({
        access_level_id: fc.constantFrom('premium', '__proto__', 'constructor', ''),
        expires_at: fc.option(fc.constantFrom('2030-01-01T00:00:00Z', 'garbage', '1999-01-01')),
        is_lifetime: fc.option(fc.boolean()),
        duration_days: fc.option(fc.integer({ min: -5, max: 400 })),
      }).map((o) => JSON.stringify(o)),
      fc.record({
        url: fc.constantFrom('http://169.254.169.254/latest', 'http://127.0.0.1:1/x', 'http://[::ffff:127.0.0.1]/', 'ftp://x/', 'http://u:p@10.0.0.1/', 'not a url'),
        verification: fc.constantFrom('none', 'empty', 'adapty_check', 'bogus'),
        event_types: fc.option(fc.array(fc.constantFrom('access_level_updated', 'nope'))),
      }).map((o) => JSON.stringify(o)),
      fc.constant(JSON.stringify({ custom_attributes: [{ key: '__proto__', value: 'x' }, { key: 'constructor', value: 1 }] })),
      fc.constant(JSON.stringify(subscriptionBody(ledger.clock, { store_transaction_id: 'constructor', store_original_transaction_id: 'constructor' }))),
    );
    const headerValue = fc.oneof(fc.constantFrom(...HOSTILE, app2.user, 'fuzz-app1-user', 'APP2_PROFILE'), fc.uuid(), fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)));
    const requestArb = fc.record({
      route: fc.constantFrom(...ROUTES),
      method: fc.oneof(fc.constant(null), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
      id: idArb,
      level: idArb,
      key: fc.constantFrom<string | null>(KEYS.app1, KEYS.app1, KEYS.app1, KEYS.app2, 'wrong-key', null),
      customerUserId: fc.option(headerValue),
      profileId: fc.option(headerValue),
      contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      body: bodyArb,
    });

    const check = (r: RawReply, where: string, key: string | null) => {
      if (r.status >= 500) throw new Error(`${where} answered ${r.status}: ${r.text.slice(0, 300)}`);
      // v1 Stripe token validation answers its 400s as Adapty does there: JSON:API errors (status a string).
      const jsonApi = r.status === 400 && where.includes('/stripe/token/validate/') && r.body?.errors?.[0]?.status === '400';
      if (r.status >= 400 && !jsonApi) {
        expect(r.contentType).toMatch(/^application\/json/);
        expect(Object.keys(r.body).sort()).toEqual(['error_code', 'errors', 'status_code']);
        expect(r.body.status_code).toBe(r.status);
      }
      if (key !== KEYS.app2 && r.status < 400) {
        // app2's data never reaches another key: strings only app2's data holds, which no request of the fuzz sends.
        for (const secret of APP2_ONLY) expect(r.text).not.toContain(secret);
      }
    };

    await fc.assert(
      fc.asyncProperty(requestArb, async (q) => {
        const fill = (s: string) => s.replace('APP2_PROFILE', app2Profile);
        // app2's key only reads: what it could write is its own business, and the snapshot must hold still.
        const method = q.key === KEYS.app2 ? 'GET' : (q.method ?? q.route[0]);
        const path = q.route[1].replaceAll('{id}', fill(q.id)).replaceAll('{level}', fill(q.level));
        const headers: Record<string, string> = {};
        if (q.customerUserId !== null) headers['adapty-customer-user-id'] = fill(q.customerUserId);
        if (q.profileId !== null) headers['adapty-profile-id'] = fill(q.profileId);
        if (q.body !== undefined) headers['content-type'] = q.contentType;
        const body = method === 'GET' || method === 'OPTIONS' ? undefined : q.body;
        check(await rawCall(ledger.url, method, path, { key: q.key, headers, body }), `${method} ${path}`, q.key);
      }),
      { numRuns: 800 },
    );
    expect(await snapshotApp2()).toEqual(app2Snapshot);
  }, 120_000);

  it('restarts afterwards, and `ledger verify` finds the read models equal to a rebuild from the log', async () => {
    await ledger.stop();
    ledger = await startLedger({ dir: ledger.dir, clock: ledger.clock, env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } });
    expect(await snapshotApp2()).toEqual(app2Snapshot);
    const env = { ...process.env, ...(await storeEnv(ledger.dir)), API_KEYS: `app1:${KEYS.app1},app2:${KEYS.app2}` };
    const verify = spawnSync(process.execPath, [CLI, 'verify'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(verify.stdout + verify.stderr).toMatch(/match/);
    expect(verify.status).toBe(0);
  }, 120_000);
});
