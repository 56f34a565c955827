import { createProfile, declareCatalogue, envelope, GRANT, PROFILE, REVOKE, SET, subscriptionBody, withoutTimestamp } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';

/** One app's key never reaches another app's profiles or catalogue. */
describe('isolation between apps', () => {
  let ledger: RunningLedger;
  const NOT_FOUND_404 = envelope(404, 'profile_does_not_exist', null, 'Profile not found');
  const NOT_FOUND_400 = envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found');
  let app1Profile: string;
  let app1Snapshot: Record<string, unknown>;

  const transaction = () => subscriptionBody(ledger.clock, { store_transaction_id: 'iso-tx-2', store_original_transaction_id: 'iso-tx-2' });
  const snapshot = async (who: { customerUserId?: string; profileId?: string }, key = KEYS.app1) =>
    withoutTimestamp(await call(ledger.url, { path: PROFILE, ...who, key }));

  beforeAll(async () => {
    ledger = await startLedger();
    await declareCatalogue(ledger.url, { products: { 'premium.monthly': 'premium' } });
    app1Profile = (await createProfile(ledger.url, 'shared-user', { custom_attributes: [{ key: 'owner', value: 'app1' }] })).profile_id;
    const set = await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'shared-user', body: { ...transaction(), store_transaction_id: 'iso-tx-1', store_original_transaction_id: 'iso-tx-1' } });
    expect(set.status).toBe(200);
    app1Snapshot = await snapshot({ customerUserId: 'shared-user' });
    expect(app1Snapshot.app_id).toBe('app1');
  });
  afterAll(() => ledger.close());

  it("app2 cannot read app1's profile by profile id or customer_user_id", async () => {
    for (const who of [{ profileId: app1Profile }, { customerUserId: 'shared-user' }]) {
      const r = await call(ledger.url, { path: PROFILE, ...who, key: KEYS.app2 });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(NOT_FOUND_404);
    }
  });

  it("app2 cannot change or delete app1's profile", async () => {
    const patch = await call(ledger.url, {
      method: 'PATCH',
      path: PROFILE,
      profileId: app1Profile,
      key: KEYS.app2,
      body: { custom_attributes: [{ key: 'owner', value: 'app2' }] },
    });
    expect(patch.status).toBe(404);
    expect(patch.body).toEqual(NOT_FOUND_404);
    const del = await call(ledger.url, { method: 'DELETE', path: PROFILE, profileId: app1Profile, key: KEYS.app2 });
    expect(del.status).toBe(404);
    expect(del.body).toEqual(NOT_FOUND_404);
    const create = await call(ledger.url, { method: 'POST', path: PROFILE, profileId: app1Profile, key: KEYS.app2, body: {} });
    expect(create.status).toBe(404);
    expect(create.body).toEqual(NOT_FOUND_404);
    const attach = await call(ledger.url, { method: 'POST', path: PROFILE, profileId: app1Profile, customerUserId: 'hijack', key: KEYS.app2, body: {} });
    expect(attach.status).toBe(404);
    expect(attach.body).toEqual(NOT_FOUND_404);
    expect(await snapshot({ profileId: app1Profile })).toEqual(app1Snapshot);
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'hijack', key: KEYS.app2 })).status).toBe(404);
  });

  it("app2 cannot record transactions, grant or revoke on app1's profile", async () => {
    for (const [path, body] of [
      [SET, transaction()],
      [GRANT, { access_level_id: 'premium' }],
      [REVOKE, { access_level_id: 'premium' }],
    ] as const) {
      const r = await call(ledger.url, { method: 'POST', path, profileId: app1Profile, key: KEYS.app2, body });
      expect({ path, status: r.status, body: r.body }).toEqual({ path, status: 400, body: NOT_FOUND_400 });
    }
    expect(await snapshot({ profileId: app1Profile })).toEqual(app1Snapshot);
  });

  it('the same customer_user_id in two apps makes two profiles', async () => {
    const app2 = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'shared-user', key: KEYS.app2, body: {} });
    expect(app2.status).toBe(200);
    expect(app2.body.data.app_id).toBe('app2');
    expect(app2.body.data.customer_user_id).toBe('shared-user');
    expect(app2.body.data.profile_id).not.toBe(app1Profile);
    expect(app2.body.data.custom_attributes).toEqual([]);
    expect(app2.body.data.access_levels).toEqual([]);
    expect(app2.body.data.total_revenue_usd).toBe(0);

    // Each key sees its own.
    expect((await snapshot({ customerUserId: 'shared-user' }, KEYS.app2)).profile_id).toBe(app2.body.data.profile_id);
    expect(await snapshot({ customerUserId: 'shared-user' })).toEqual(app1Snapshot);

    // Neither app can reach the other's profile by id.
    expect((await call(ledger.url, { path: PROFILE, profileId: app2.body.data.profile_id })).status).toBe(404);

    // A write in app2 leaves app1's profile alone, and the other way round.
    const patched = await call(ledger.url, {
      method: 'PATCH',
      path: PROFILE,
      customerUserId: 'shared-user',
      key: KEYS.app2,
      body: { custom_attributes: [{ key: 'owner', value: 'app2' }] },
    });
    expect(patched.body.data.custom_attributes).toEqual([{ key: 'owner', value: 'app2' }]);
    expect(await snapshot({ customerUserId: 'shared-user' })).toEqual(app1Snapshot);

    // app2's catalogue has no mapping for premium.monthly: the same transaction gives no access there.
    const set = await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'shared-user', key: KEYS.app2, body: transaction() });
    expect(set.status).toBe(200);
    expect(set.body.data.access_levels).toEqual([]);
    expect(set.body.data.total_revenue_usd).toBe(9.99);
    expect(await snapshot({ customerUserId: 'shared-user' })).toEqual(app1Snapshot);

    // Deleting app2's profile leaves app1's.
    expect((await call(ledger.url, { method: 'DELETE', path: PROFILE, customerUserId: 'shared-user', key: KEYS.app2 })).status).toBe(204);
    expect(await snapshot({ customerUserId: 'shared-user' })).toEqual(app1Snapshot);
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'shared-user', key: KEYS.app2 })).status).toBe(404);
  });

  it("app1 cannot reach app2's profiles either", async () => {
    const app2 = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'only-in-app2', key: KEYS.app2, body: {} });
    expect(app2.status).toBe(200);
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'only-in-app2' })).status).toBe(404);
    expect((await call(ledger.url, { path: PROFILE, profileId: app2.body.data.profile_id })).status).toBe(404);
    const grant = await call(ledger.url, { method: 'POST', path: GRANT, profileId: app2.body.data.profile_id, body: { access_level_id: 'premium' } });
    expect(grant.status).toBe(400);
    expect(grant.body).toEqual(NOT_FOUND_400);
    const after = await snapshot({ customerUserId: 'only-in-app2' }, KEYS.app2);
    expect(after.access_levels).toEqual([]);
  });
});
