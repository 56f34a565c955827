import { envelope, PROFILE, SET } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';

/** The admin catalogue: access levels and product → access level mappings, per app. */
describe('catalogue', () => {
  let ledger: RunningLedger;
  const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

  const putLevel = (id: string, key?: string) => call(ledger.url, { method: 'PUT', path: `/admin/v1/access-levels/${id}`, key });
  const putProduct = (id: string, body: unknown, key?: string) =>
    call(ledger.url, { method: 'PUT', path: `/admin/v1/products/${id}`, body, key });
  const levels = (key?: string) => call(ledger.url, { path: '/admin/v1/access-levels', key });
  const products = (key?: string) => call(ledger.url, { path: '/admin/v1/products', key });

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  it('premium is always there, even before anything is declared', async () => {
    const r = await levels();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: [{ access_level_id: 'premium', created_at: null }] });
    expect((await products()).body).toEqual({ data: [] });
  });

  it('declares an access level; declaring it again changes nothing', async () => {
    const first = await putLevel('gold');
    expect(first.status).toBe(200);
    expect(first.body.data.access_level_id).toBe('gold');
    expect(first.body.data.created_at).toMatch(ISO_MS);
    ledger.clock.advance(5000);
    const again = await putLevel('gold');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const list = await levels();
    expect(list.body).toEqual({
      data: [
        { access_level_id: 'premium', created_at: null },
        { access_level_id: 'gold', created_at: first.body.data.created_at },
      ],
    });
  });

  it('declaring premium is a no-op', async () => {
    const r = await putLevel('premium');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { access_level_id: 'premium', created_at: null } });
    expect((await levels()).body.data.filter((l: { access_level_id: string }) => l.access_level_id === 'premium')).toHaveLength(1);
  });

  it('maps a product; mapping it again to the same level changes nothing; remapping moves it', async () => {
    const first = await putProduct('com.app.monthly', { access_level_id: 'gold' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      data: { store_product_id: 'com.app.monthly', access_level_id: 'gold', updated_at: expect.stringMatching(ISO_MS) },
    });
    ledger.clock.advance(5000);
    const again = await putProduct('com.app.monthly', { access_level_id: 'gold' });
    expect(again.body).toEqual(first.body);
    expect((await products()).body).toEqual({ data: [first.body.data] });

    ledger.clock.advance(5000);
    const moved = await putProduct('com.app.monthly', { access_level_id: 'premium' });
    expect(moved.status).toBe(200);
    expect(moved.body.data.access_level_id).toBe('premium');
    expect(Date.parse(moved.body.data.updated_at)).toBeGreaterThan(Date.parse(first.body.data.updated_at));
    expect((await products()).body).toEqual({ data: [moved.body.data] });
  });

  it('accepts Google-style product ids with a base plan (product_id:base_plan_id)', async () => {
    const r = await putProduct('sub.yearly:base-plan.1', { access_level_id: 'premium' });
    expect(r.status).toBe(200);
    expect(r.body.data.store_product_id).toBe('sub.yearly:base-plan.1');
    expect((await products()).body.data.map((p: { store_product_id: string }) => p.store_product_id)).toContain('sub.yearly:base-plan.1');
  });

  it('mapping to an unknown access level is 400 paid_access_level_does_not_exist and maps nothing', async () => {
    const before = await products();
    const r = await putProduct('com.app.weekly', { access_level_id: 'platinum' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `platinum` does not exist'));
    expect((await products()).body).toEqual(before.body);
  });

  it('refuses a product mapping without access_level_id', async () => {
    for (const body of [{}, { access_level_id: '' }, { access_level_id: 7 }]) {
      const r = await putProduct('com.app.daily', body);
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('validation_error');
      expect(r.body.status_code).toBe(400);
      expect(r.body.errors.every((e: { source: string }) => e.source === 'access_level_id')).toBe(true);
    }
    expect((await products()).body.data.map((p: { store_product_id: string }) => p.store_product_id)).not.toContain('com.app.daily');
  });

  it('refuses ids with characters outside letters, digits and _ . : -', async () => {
    const level = await putLevel('bad%20id');
    expect(level.status).toBe(400);
    expect(level.body).toEqual(envelope(400, 'validation_error', 'access_level_id', 'access_level_id must be 1 to 100 letters, digits or _ . : -'));
    const product = await putProduct('a%2Fb', { access_level_id: 'premium' });
    expect(product.status).toBe(400);
    expect(product.body).toEqual(envelope(400, 'validation_error', 'store_product_id', 'store_product_id must be 1 to 100 letters, digits or _ . : -'));
    // 100 characters is the longest id; a longer one is refused (its envelope: see known-bugs.e2e.ts).
    expect((await putLevel('L'.repeat(100))).status).toBe(200);
    expect((await putLevel('x'.repeat(101))).status).toBeGreaterThanOrEqual(400);
    expect((await levels()).body.data.map((l: { access_level_id: string }) => l.access_level_id)).toEqual(['premium', 'gold', 'L'.repeat(100)]);
  });

  it('a mapping makes set-transaction unlock the level', async () => {
    await putLevel('silver');
    await putProduct('silver.monthly', { access_level_id: 'silver' });
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'cat-user', body: {} });
    const now = ledger.clock.now().getTime();
    const r = await call(ledger.url, {
      method: 'POST',
      path: SET,
      customerUserId: 'cat-user',
      body: {
        purchase_type: 'subscription',
        store: 'app_store',
        store_product_id: 'silver.monthly',
        store_transaction_id: 'cat-t1',
        store_original_transaction_id: 'cat-t1',
        price: { country: 'US', currency: 'USD', value: 1 },
        purchased_at: new Date(now - 60_000).toISOString(),
        originally_purchased_at: new Date(now - 60_000).toISOString(),
        expires_at: new Date(now + 86_400_000).toISOString(),
        renew_status: true,
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['silver']);
  });

  it('every catalogue endpoint needs an API key', async () => {
    const noKey = envelope(401, 'not_authenticated', 'non_field_errors', 'Authentication credentials were not provided.');
    for (const r of [
      await levels(null as unknown as string),
      await products(null as unknown as string),
      await putLevel('nokey', null as unknown as string),
      await putProduct('nokey', { access_level_id: 'premium' }, null as unknown as string),
    ]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual(noKey);
    }
    expect((await levels()).body.data.map((l: { access_level_id: string }) => l.access_level_id)).not.toContain('nokey');
  });

  it('each app has its own catalogue', async () => {
    expect((await levels(KEYS.app2)).body).toEqual({ data: [{ access_level_id: 'premium', created_at: null }] });
    expect((await products(KEYS.app2)).body).toEqual({ data: [] });
    // app2 cannot map to app1's level.
    const r = await putProduct('com.app.monthly', { access_level_id: 'gold' }, KEYS.app2);
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('paid_access_level_does_not_exist');
    const own = await putLevel('gold', KEYS.app2);
    expect(own.status).toBe(200);
    expect((await levels(KEYS.app2)).body.data.map((l: { access_level_id: string }) => l.access_level_id)).toEqual(['premium', 'gold']);
    // app1's gold is untouched.
    expect((await levels()).body.data.find((l: { access_level_id: string }) => l.access_level_id === 'gold').created_at).not.toBe(
      own.body.data.created_at,
    );
  });

  it('paths work with and without a trailing slash', async () => {
    expect((await call(ledger.url, { path: '/admin/v1/access-levels/' })).status).toBe(200);
    expect((await call(ledger.url, { path: '/admin/v1/products/' })).status).toBe(200);
    expect((await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/bronze/' })).status).toBe(200);
    const mapped = await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/bronze.pack/', body: { access_level_id: 'bronze' } });
    expect(mapped.status).toBe(200);
    expect(mapped.body.data.store_product_id).toBe('bronze.pack');
  });
});
