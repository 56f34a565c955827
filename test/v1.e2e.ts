import { DAY, declareCatalogue, envelope, getProfile, GRANT, HOUR, MIN, PROFILE, REVOKE, SET, subscriptionBody, UUID, v2Date, wholeSecond } from './support/fixtures';
import { call, KEYS, RunningLedger, startLedger } from './support/ledger-server';

/**
 * Adapty's legacy v1 server API over real HTTP (contract §1.4, §2.12, §3.5), and v1/v2 round trips
 * on one profile: v1 is a second face over the same commands, events and read model.
 */
describe('legacy v1 server API', () => {
  let ledger: RunningLedger;
  const V1 = '/api/v1/sdk';
  const V1_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$/;

  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
  /** Whole seconds, so dates compare exactly across formats. */
  const at = (offset: number) => wholeSecond(ledger.clock, offset);
  const v1Date = (iso: string) => `${iso.slice(0, 19)}.${iso.slice(20, 23)}000+0000`;

  let seq = 0;
  const uniqueId = (prefix = 'v1-user') => `${prefix}-${++seq}`;
  const v1 = (method: string, path: string, body?: unknown, key?: string | null) => call(ledger.url, { method, path: `${V1}${path}`, body, key });
  const create = async (customerUserId = uniqueId(), extra: Record<string, unknown> = {}) => {
    const r = await v1('POST', '/profiles/', { customer_user_id: customerUserId, ...extra });
    expect(r.status).toBe(200);
    return { id: customerUserId, profileId: r.body.data.profile_id as string, data: r.body.data };
  };
  const get = async (id: string, query = '') => {
    const r = await v1('GET', `/profiles/${id}/${query}`);
    expect(r.status).toBe(200);
    return r.body.data;
  };
  const getV2 = (customerUserId: string) => getProfile(ledger.url, customerUserId);
  const grant = (id: string, level: string, body: unknown) => v1('POST', `/profiles/${id}/paid-access-levels/${level}/grant/`, body);
  const revoke = (id: string, level: string, body: unknown) => v1('POST', `/profiles/${id}/paid-access-levels/${level}/revoke/`, body);
  /** `t` is within [before, after] rounded to the milliseconds v1 prints. */
  const expectBetween = (v1Text: string, before: number, after: number) => {
    expect(v1Text).toMatch(V1_DATE);
    const t = Date.parse(v1Text.replace(/(\.\d{3})\d{3}\+0000$/, '$1Z'));
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
  };

  beforeAll(async () => {
    ledger = await startLedger();
    await declareCatalogue(ledger.url, { levels: ['gold', 'silver'], products: { 'gold.monthly': 'gold' } });
  });
  afterAll(() => ledger.close());

  describe('profiles', () => {
    it('POST /profiles/ creates by customer_user_id with attributes and a custom attributes dict', async () => {
      const id = uniqueId();
      const r = await v1('POST', '/profiles/', {
        customer_user_id: id,
        email: 'ann@example.com',
        first_name: 'Ann',
        gender: 'female',
        custom_attributes: { level: 3, favorite_topic: 'sports', flag: true },
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        data: {
          app_id: 'app1',
          profile_id: expect.stringMatching(UUID),
          customer_user_id: id,
          total_revenue_usd: 0,
          paid_access_levels: null,
          subscriptions: null,
          non_subscriptions: null,
          custom_attributes: { level: 3, favorite_topic: 'sports', flag: 1 },
        },
      });
      // Creating the same customer again answers the same profile.
      const again = await v1('POST', '/profiles/', { customer_user_id: id });
      expect(again.status).toBe(200);
      expect(again.body.data.profile_id).toBe(r.body.data.profile_id);
    });

    it('POST /profiles/ needs a customer_user_id', async () => {
      for (const body of [{}, { customer_user_id: '' }, { customer_user_id: 5 }]) {
        const r = await v1('POST', '/profiles/', body);
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('validation_error');
        expect(r.body.errors[0].source).toBe('customer_user_id');
      }
    });

    it('GET /profiles/{id}/ by customer user id and by profile id give the same profile', async () => {
      const user = await create();
      const byCustomer = await get(user.id);
      const byProfile = await get(user.profileId);
      expect(byCustomer).toEqual(byProfile);
      expect(byCustomer.profile_id).toBe(user.profileId);
      expect(await get(user.profileId.toUpperCase())).toEqual(byProfile);
    });

    it('a customer user id shaped like a UUID is found too', async () => {
      const id = '3c410419-9959-447a-84b5-be7cb6a308d9';
      const user = await create(id);
      expect((await get(id)).profile_id).toBe(user.profileId);
    });

    it('?extended (any value) adds created_at and the built-in attributes, null where unknown', async () => {
      const before = ledger.clock.now().getTime();
      const user = await create(uniqueId(), { email: 'bo@example.com', phone_number: '+18003330000', last_name: 'Bo', gender: 'm', birthday: '1990-10-31' });
      const after = ledger.clock.now().getTime();
      const plain = await get(user.id);
      expect(plain).not.toHaveProperty('email');
      expect(plain).not.toHaveProperty('created_at');
      for (const query of ['?extended=true', '?extended=1', '?extended', '?extended=']) {
        const data = await get(user.id, query);
        expect(data).toEqual({
          ...plain,
          created_at: expect.stringMatching(V1_DATE),
          email: 'bo@example.com',
          phone_number: '+18003330000',
          att_status: null,
          first_name: null,
          last_name: 'Bo',
          username: null,
          gender: 'm',
          birthday: '1990-10-31',
          idfa: null,
          idfv: null,
          advertising_id: null,
          appsflyer_id: null,
          amplitude_user_id: null,
          amplitude_device_id: null,
          mixpanel_user_id: null,
          appmetrica_profile_id: null,
          appmetrica_device_id: null,
          facebook_anonymous_id: null,
        });
        expectBetween(data.created_at, before, after);
      }
    });

    it('extended shows what v2 set: att_status and installation_meta identifiers', async () => {
      const id = uniqueId();
      const r = await call(ledger.url, {
        method: 'POST',
        path: PROFILE,
        customerUserId: id,
        body: { att_status: 3, installation_meta: { device_id: '0d4b3c4e-8d0f-4b5e-9d25-6f6c2a3f1b11', idfa: 'IDFA-1', idfv: 'IDFV-1' } },
      });
      expect(r.status).toBe(200);
      expect(await get(id, '?extended')).toMatchObject({ att_status: 3, idfa: 'IDFA-1', idfv: 'IDFV-1', advertising_id: null });
    });

    it('PATCH /profiles/{id}/ sets attributes; custom attributes are a dict where null or "" deletes a key', async () => {
      const user = await create(uniqueId(), { custom_attributes: { a: 'x', b: 2, c: 'keep' } });
      const r = await v1('PATCH', `/profiles/${user.id}/`, {
        first_name: 'Cy',
        phone_number: '+18003330000',
        ip_country: 'US',
        custom_attributes: { a: null, b: '', d: 4.5 },
      });
      expect(r.status).toBe(200);
      expect(r.body.data.custom_attributes).toEqual({ c: 'keep', d: 4.5 });
      expect(r.body.data).not.toHaveProperty('first_name');
      const extended = await get(user.id, '?extended');
      expect(extended).toMatchObject({ first_name: 'Cy', phone_number: '+18003330000', custom_attributes: { c: 'keep', d: 4.5 } });
      // Attributes not sent are kept; an empty dict changes nothing.
      expect((await v1('PATCH', `/profiles/${user.profileId}/`, { custom_attributes: {} })).body.data.custom_attributes).toEqual({ c: 'keep', d: 4.5 });
      expect((await get(user.id, '?extended')).first_name).toBe('Cy');
    });

    it('PATCH errors: bad keys, values and shapes are 400; an unknown profile is 404', async () => {
      const user = await create();
      const bad = [
        { custom_attributes: { 'bad key!': 1 } },
        { custom_attributes: { k: { nested: 1 } } },
        { custom_attributes: { k: 'v'.repeat(51) } },
        { custom_attributes: [{ key: 'k', value: 1 }] },
        { birthday: '1990-02-30' },
        { gender: 'x' },
        { email: 'not-an-email' },
      ];
      for (const body of bad) {
        const r = await v1('PATCH', `/profiles/${user.id}/`, body);
        expect([r.status, r.body.error_code]).toEqual([400, 'validation_error']);
      }
      const missing = await v1('PATCH', `/profiles/${uniqueId('nobody')}/`, { first_name: 'Z' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(envelope(404, 'profile_does_not_exist', null, 'Profile not found'));
    });

    it('GET of an unknown profile is 404, and another app never sees the profile', async () => {
      const r = await v1('GET', `/profiles/${uniqueId('nobody')}/`);
      expect(r.status).toBe(404);
      expect(r.body).toEqual(envelope(404, 'profile_does_not_exist', null, 'Profile not found'));
      const user = await create();
      for (const id of [user.id, user.profileId]) {
        const other = await v1('GET', `/profiles/${id}/`, undefined, KEYS.app2);
        expect(other.status).toBe(404);
      }
    });

    it('every v1 endpoint needs the API key', async () => {
      const user = await create();
      const calls: Array<[string, string, unknown?]> = [
        ['GET', `/profiles/${user.id}/`],
        ['POST', '/profiles/', { customer_user_id: uniqueId() }],
        ['PATCH', `/profiles/${user.id}/`, {}],
        ['DELETE', `/profiles/${user.id}/delete`],
        ['POST', `/profiles/${user.id}/paid-access-levels/premium/grant/`, { is_lifetime: true }],
        ['POST', `/profiles/${user.id}/paid-access-levels/premium/revoke/`, { is_refund: false }],
        ['POST', '/purchase/stripe/token/validate/', {}],
      ];
      for (const [method, path, body] of calls) {
        const r = await v1(method, path, body, null);
        expect(r.status).toBe(401);
        expect(r.body.error_code).toBe('not_authenticated');
      }
      expect((await get(user.id)).profile_id).toBe(user.profileId);
    });

    it('DELETE /profiles/{id}/delete, without and with a trailing slash', async () => {
      const a = await create();
      const b = await create();
      const noSlash = await v1('DELETE', `/profiles/${a.id}/delete`);
      expect(noSlash.status).toBe(204);
      expect(noSlash.body).toBeNull();
      const slash = await v1('DELETE', `/profiles/${b.profileId}/delete/`);
      expect(slash.status).toBe(204);
      for (const user of [a, b]) {
        expect((await v1('GET', `/profiles/${user.id}/`)).status).toBe(404);
        expect((await call(ledger.url, { path: PROFILE, customerUserId: user.id })).status).toBe(404);
      }
      const again = await v1('DELETE', `/profiles/${a.id}/delete`);
      expect(again.status).toBe(404);
      expect(again.body.error_code).toBe('profile_does_not_exist');
    });
  });

  describe('base64url customer user ids (contract §1.4)', () => {
    it.each([['123+456'], ['abc/def'], ['012?012']])('%p: every endpoint finds it encoded with is_user_id_base64url_encoded=1', async (raw) => {
      const id = `${raw}-${++seq}`;
      const user = await create(id);
      const enc = `${b64(id)}`;
      const q = '?is_user_id_base64url_encoded=1';
      expect((await get(enc, q)).profile_id).toBe(user.profileId);
      // Padded, as in Adapty's examples.
      const padded = Buffer.from(id, 'utf8').toString('base64');
      if (!/[+/]/.test(padded)) expect((await get(padded, q)).profile_id).toBe(user.profileId);
      const patched = await v1('PATCH', `/profiles/${enc}/${q}`, { custom_attributes: { via: 'b64' } });
      expect(patched.status).toBe(200);
      expect(patched.body.data.custom_attributes).toEqual({ via: 'b64' });
      const g = await v1('POST', `/profiles/${enc}/paid-access-levels/premium/grant/${q}`, { duration_days: 1 });
      expect(g.status).toBe(200);
      expect(g.body.data.paid_access_levels.premium.is_active).toBe(true);
      const r = await v1('POST', `/profiles/${enc}/paid-access-levels/premium/revoke/${q}`, { is_refund: false });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.premium.is_active).toBe(false);
      expect((await v1('DELETE', `/profiles/${enc}/delete${q}`)).status).toBe(204);
      expect((await v1('GET', `/profiles/${enc}/${q}`)).status).toBe(404);
    });

    it('a malformed encoding, or an id sent unencoded with the flag, is a 400', async () => {
      const user = await create('plainid');
      const expected = envelope(
        400,
        'validation_error',
        'profile_id_or_customer_user_id',
        'is_user_id_base64url_encoded=1 is set, but the id is not a valid Base64URL encoding of a customer user id.',
      );
      for (const id of ['plainid', 'abc', 'MTIzKzQ1Ng=', '%2B%2B%2B', 'a.b']) {
        const r = await v1('GET', `/profiles/${id}/?is_user_id_base64url_encoded=1`);
        expect(r.status).toBe(400);
        expect(r.body).toEqual(expected);
      }
      for (const [method, path, body] of [
        ['PATCH', '/profiles/abc/?is_user_id_base64url_encoded=1', {}],
        ['DELETE', '/profiles/abc/delete?is_user_id_base64url_encoded=1', undefined],
        ['POST', '/profiles/abc/paid-access-levels/premium/grant/?is_user_id_base64url_encoded=1', { is_lifetime: true }],
        ['POST', '/profiles/abc/paid-access-levels/premium/revoke/?is_user_id_base64url_encoded=1', { is_refund: false }],
      ] as const) {
        const r = await v1(method, path, body);
        expect(r.status).toBe(400);
        expect(r.body).toEqual(expected);
      }
      // Without the flag the same id is taken as is.
      expect((await get(user.id)).customer_user_id).toBe('plainid');
    });

    it('a well-formed encoding of an unknown customer is 404', async () => {
      const r = await v1('GET', `/profiles/${b64('nobody+at/all')}/?is_user_id_base64url_encoded=1`);
      expect(r.status).toBe(404);
    });
  });

  describe('grant (contract §2.12)', () => {
    it('duration_days: from now, shown in paid_access_levels as active, v1 datetimes', async () => {
      const user = await create();
      const before = ledger.clock.now().getTime();
      const r = await grant(user.id, 'premium', { duration_days: 30 });
      const after = ledger.clock.now().getTime();
      expect(r.status).toBe(200);
      const level = r.body.data.paid_access_levels.premium;
      expect(level).toEqual({
        id: 'premium',
        is_active: true,
        is_lifetime: false,
        expires_at: expect.stringMatching(V1_DATE),
        starts_at: null,
        will_renew: false,
        vendor_product_id: 'adapty_server_side_product',
        base_plan_id: null,
        vendor_transaction_id: expect.stringMatching(UUID),
        vendor_original_transaction_id: expect.stringMatching(UUID),
        store: 'adapty',
        activated_at: expect.stringMatching(V1_DATE),
        renewed_at: null,
        unsubscribed_at: null,
        billing_issue_detected_at: null,
        is_in_grace_period: false,
        active_introductory_offer_type: null,
        active_promotional_offer_type: null,
        active_promotional_offer_id: null,
        cancellation_reason: null,
      });
      expectBetween(level.expires_at, before + 30 * DAY, after + 30 * DAY);
      expectBetween(level.activated_at, before, after);
      // A grant without a transaction is not analytics.
      expect(r.body.data).toMatchObject({ subscriptions: null, non_subscriptions: null, total_revenue_usd: 0 });
      expect(await get(user.id)).toEqual(r.body.data);
    });

    it('is_lifetime wins over expires_at and duration_days', async () => {
      const user = await create();
      const r = await grant(user.id, 'gold', { is_lifetime: true, expires_at: at(DAY), duration_days: 3 });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.gold).toMatchObject({ is_active: true, is_lifetime: true, expires_at: null });
    });

    it('expires_at wins over duration_days (and is_lifetime false)', async () => {
      const user = await create();
      const expires = at(2 * DAY);
      const r = await grant(user.id, 'gold', { is_lifetime: false, expires_at: expires, duration_days: 30 });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.gold).toMatchObject({ is_active: true, is_lifetime: false, expires_at: v1Date(expires) });
    });

    it('starts_at: access from then, the period counted from it', async () => {
      const user = await create();
      const starts = at(DAY);
      const r = await grant(user.id, 'silver', { starts_at: starts, duration_days: 2 });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.silver).toMatchObject({
        is_active: false,
        starts_at: v1Date(starts),
        expires_at: v1Date(new Date(Date.parse(starts) + 2 * DAY).toISOString()),
      });
    });

    it('duration_days adds to an active access level ("additional days to a current subscription")', async () => {
      const user = await create();
      const expires = at(5 * DAY);
      expect((await grant(user.id, 'premium', { expires_at: expires })).status).toBe(200);
      const r = await grant(user.id, 'premium', { duration_days: 7 });
      expect(r.body.data.paid_access_levels.premium.expires_at).toBe(v1Date(new Date(Date.parse(expires) + 7 * DAY).toISOString()));
    });

    it('none of is_lifetime, expires_at, duration_days (or only is_lifetime false) is a 400', async () => {
      const user = await create();
      const expected = envelope(400, 'validation_error', 'non_field_errors', 'At least one of is_lifetime, expires_at or duration_days must be set.');
      for (const body of [{}, { is_lifetime: false }, { starts_at: at(0) }, { expires_at: null, duration_days: null }]) {
        const r = await grant(user.id, 'premium', body);
        expect(r.status).toBe(400);
        expect(r.body).toEqual(expected);
      }
      expect((await get(user.id)).paid_access_levels).toBeNull();
    });

    it('body validation: types and ranges are 400 with the field as source', async () => {
      const user = await create();
      for (const [body, source] of [
        [{ duration_days: 0 }, 'duration_days'],
        [{ duration_days: 1.5 }, 'duration_days'],
        [{ duration_days: '7' }, 'duration_days'],
        [{ expires_at: 'tomorrow' }, 'expires_at'],
        [{ is_lifetime: 'yes' }, 'is_lifetime'],
        [{ is_lifetime: true, introductory_offer_type: 'free' }, 'introductory_offer_type'],
        [{ is_lifetime: true, price: -1 }, 'price'],
        [{ is_lifetime: true, price_locale: 'dollars' }, 'price_locale'],
      ] as const) {
        const r = await grant(user.id, 'premium', body);
        expect([r.status, r.body.error_code, r.body.errors[0].source]).toEqual([400, 'validation_error', source]);
      }
    });

    it('errors: unknown access level and unknown profile, as v2 grant answers them', async () => {
      const user = await create();
      const level = await grant(user.id, 'platinum', { is_lifetime: true });
      expect(level.status).toBe(400);
      expect(level.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `platinum` does not exist'));
      const profile = await grant(uniqueId('nobody'), 'premium', { is_lifetime: true });
      expect(profile.status).toBe(400);
      expect(profile.body).toEqual(envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found'));
    });

    it('with product, transaction id and store: a transaction recorded once, counted in revenue, deduplicated', async () => {
      const user = await create();
      const body = {
        duration_days: 30,
        vendor_product_id: 'basic_subscription_1_month',
        vendor_transaction_id: '1000000630116569',
        store: 'app_store',
        price: 9.99,
        price_locale: 'USD',
        introductory_offer_type: 'pay_up_front',
        is_sandbox: true,
      };
      const first = await grant(user.id, 'premium', body);
      expect(first.status).toBe(200);
      const data = first.body.data;
      expect(data.total_revenue_usd).toBe(9.99);
      expect(data.paid_access_levels.premium).toMatchObject({
        is_active: true,
        vendor_product_id: 'basic_subscription_1_month',
        vendor_transaction_id: '1000000630116569',
        vendor_original_transaction_id: '1000000630116569',
        store: 'app_store',
        will_renew: false,
        active_introductory_offer_type: 'pay_up_front',
      });
      expect(Object.keys(data.subscriptions)).toEqual(['basic_subscription_1_month']);
      expect(data.subscriptions.basic_subscription_1_month).toMatchObject({
        is_active: true,
        is_sandbox: true,
        vendor_transaction_id: '1000000630116569',
        expires_at: data.paid_access_levels.premium.expires_at,
      });
      // The same grant again (a retry, later): nothing recorded twice, nothing extended.
      ledger.clock.advance(MIN);
      const retry = await grant(user.id, 'premium', body);
      expect(retry.status).toBe(200);
      expect(retry.body.data).toEqual({ ...data, paid_access_levels: retry.body.data.paid_access_levels });
      expect(retry.body.data.paid_access_levels.premium.expires_at).toBe(data.paid_access_levels.premium.expires_at);
      expect(retry.body.data.total_revenue_usd).toBe(9.99);
      const v2 = await getV2(user.id);
      expect(v2.subscriptions).toHaveLength(1);
      expect(v2.subscriptions[0]).toMatchObject({ store_transaction_id: '1000000630116569', environment: 'Sandbox', offer: { category: 'introductory', type: 'pay_up_front', id: null } });
      expect(v2.access_levels).toEqual([expect.objectContaining({ access_level_id: 'premium', store_product_id: 'basic_subscription_1_month' })]);
    });

    it('a transaction needs all three: without a store no transaction is recorded', async () => {
      const user = await create();
      const r = await grant(user.id, 'premium', { duration_days: 3, vendor_product_id: 'p1', vendor_transaction_id: 't-no-store', price: 5 });
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({ subscriptions: null, total_revenue_usd: 0 });
      expect(r.body.data.paid_access_levels.premium).toMatchObject({ store: 'adapty', vendor_product_id: 'adapty_server_side_product' });
    });

    it('lifetime with a transaction is a one-time purchase (non_subscriptions is a dict of arrays)', async () => {
      const user = await create();
      const r = await grant(user.id, 'premium', { is_lifetime: true, vendor_product_id: 'lifetime.pro', vendor_transaction_id: 'otp-v1-1', store: 'play_store', price: 30 });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.premium).toMatchObject({ is_lifetime: true, is_active: true, vendor_product_id: 'lifetime.pro' });
      expect(r.body.data.non_subscriptions).toEqual({
        'lifetime.pro': [
          {
            purchase_id: expect.stringMatching(UUID),
            vendor_product_id: 'lifetime.pro',
            vendor_transaction_id: 'otp-v1-1',
            vendor_original_transaction_id: 'otp-v1-1',
            store: 'play_store',
            purchased_at: expect.stringMatching(V1_DATE),
            is_one_time: false,
            is_sandbox: false,
            is_refund: false,
          },
        ],
      });
      expect(r.body.data.total_revenue_usd).toBe(30);
    });

    it('is_active is judged when read: an expired grant stays listed, inactive', async () => {
      const user = await create();
      expect((await grant(user.id, 'silver', { expires_at: at(HOUR) })).status).toBe(200);
      expect((await get(user.id)).paid_access_levels.silver.is_active).toBe(true);
      ledger.clock.advance(HOUR + MIN);
      const later = await get(user.id);
      expect(later.paid_access_levels.silver).toMatchObject({ is_active: false, will_renew: false });
      expect((await getV2(user.id)).access_levels).toEqual([]);
    });
  });

  describe('revoke (contract §2.12)', () => {
    it('access ends now: unsubscribed_at now, expires_at = max(starts_at, now)', async () => {
      const user = await create();
      expect((await grant(user.id, 'premium', { duration_days: 30 })).status).toBe(200);
      const before = ledger.clock.now().getTime();
      const r = await revoke(user.id, 'premium', { is_refund: false });
      const after = ledger.clock.now().getTime();
      expect(r.status).toBe(200);
      const level = r.body.data.paid_access_levels.premium;
      expect(level).toMatchObject({ is_active: false, will_renew: false, cancellation_reason: 'adapty_revoked' });
      expectBetween(level.expires_at, before, after);
      expect(level.unsubscribed_at).toBe(level.expires_at);
      expect(await get(user.id)).toEqual(r.body.data);
      expect((await getV2(user.id)).access_levels).toEqual([]);
    });

    it('a scheduled access level revoked before it starts ends at its starts_at', async () => {
      const user = await create();
      const starts = at(2 * DAY);
      expect((await grant(user.id, 'gold', { starts_at: starts, duration_days: 5 })).status).toBe(200);
      const r = await revoke(user.id, 'gold', { is_refund: false });
      expect(r.status).toBe(200);
      expect(r.body.data.paid_access_levels.gold).toMatchObject({ is_active: false, expires_at: v1Date(starts) });
      ledger.clock.advance(3 * DAY);
      expect((await get(user.id)).paid_access_levels.gold.is_active).toBe(false);
    });

    it('with a linked transaction: its expiration follows; is_refund marks it refunded and its revenue 0', async () => {
      const user = await create();
      const body = { duration_days: 30, vendor_product_id: 'com.app.monthly', vendor_transaction_id: 'refund-me-1', store: 'app_store', price: 12.5 };
      expect((await grant(user.id, 'premium', body)).body.data.total_revenue_usd).toBe(12.5);
      ledger.clock.advance(MIN);
      const r = await revoke(user.profileId, 'premium', { is_refund: true });
      expect(r.status).toBe(200);
      const data = r.body.data;
      expect(data.total_revenue_usd).toBe(0);
      expect(data.paid_access_levels.premium).toMatchObject({ is_active: false, cancellation_reason: 'refund', unsubscribed_at: expect.stringMatching(V1_DATE) });
      expect(data.subscriptions['com.app.monthly']).toMatchObject({
        is_active: false,
        cancellation_reason: 'refund',
        expires_at: data.paid_access_levels.premium.expires_at,
        unsubscribed_at: data.paid_access_levels.premium.unsubscribed_at,
      });
      const v2 = await getV2(user.id);
      expect(v2.total_revenue_usd).toBe(0);
      expect(v2.access_levels).toEqual([]);
      expect(v2.subscriptions).toEqual([expect.objectContaining({ store_transaction_id: 'refund-me-1', cancellation_reason: 'refund' })]);
      // Revoking again: the profile no longer has the level.
      const again = await revoke(user.id, 'premium', { is_refund: true });
      expect(again.status).toBe(400);
      expect(again.body.error_code).toBe('profile_paid_access_level_does_not_exist');
    });

    it('is_refund on a purchase recorded through v2 set transaction', async () => {
      const user = await create();
      const body = subscriptionBody(ledger.clock, {
        store_product_id: 'gold.monthly',
        store_transaction_id: 'v2-tx-1',
        store_original_transaction_id: 'v2-tx-1',
        price: { country: 'US', currency: 'USD', value: 4 },
      });
      const t = await call(ledger.url, { method: 'POST', path: SET, customerUserId: user.id, body });
      expect(t.status).toBe(200);
      const before = await get(user.id);
      expect(before.paid_access_levels.gold).toMatchObject({ is_active: true, will_renew: true, vendor_transaction_id: 'v2-tx-1' });
      expect(before.total_revenue_usd).toBe(4);
      const r = await revoke(user.id, 'gold', { is_refund: true });
      expect(r.status).toBe(200);
      expect(r.body.data.total_revenue_usd).toBe(0);
      expect(r.body.data.paid_access_levels.gold).toMatchObject({ is_active: false, will_renew: false });
      expect((await getV2(user.id)).subscriptions[0]).toMatchObject({ cancellation_reason: 'refund', renewal_cancelled_at: expect.any(String) });
    });

    it('errors: is_refund is required; unknown level; a level the profile lacks; unknown profile', async () => {
      const user = await create();
      const missing = await revoke(user.id, 'premium', {});
      expect([missing.status, missing.body.error_code, missing.body.errors[0].source]).toEqual([400, 'validation_error', 'is_refund']);
      const unknownLevel = await revoke(user.id, 'platinum', { is_refund: false });
      expect(unknownLevel.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `platinum` does not exist'));
      const lacks = await revoke(user.id, 'premium', { is_refund: false });
      expect(lacks.body).toEqual(
        envelope(400, 'profile_paid_access_level_does_not_exist', 'non_field_errors', `Profile \`${user.profileId}\` has no \`premium\` access level`),
      );
      const nobody = await revoke(uniqueId('nobody'), 'premium', { is_refund: false });
      expect(nobody.body).toEqual(envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found'));
    });
  });

  describe('v1 and v2 are two faces of one profile', () => {
    it('written through v1, read through v2', async () => {
      const user = await create(uniqueId(), { custom_attributes: { tier: 'a', score: 7 } });
      // One instant for both: a second boundary may pass between the grant and the read.
      const expiresAt = at(3 * DAY);
      expect((await grant(user.id, 'gold', { expires_at: expiresAt })).status).toBe(200);
      const v2 = await getV2(user.id);
      expect(v2.profile_id).toBe(user.profileId);
      expect(v2.custom_attributes).toEqual([
        { key: 'tier', value: 'a' },
        { key: 'score', value: 7 },
      ]);
      expect(v2.access_levels).toEqual([expect.objectContaining({ access_level_id: 'gold', store: 'adapty', expires_at: v2Date(expiresAt) })]);
      expect((await revoke(user.id, 'gold', { is_refund: false })).status).toBe(200);
      expect((await getV2(user.id)).access_levels).toEqual([]);
    });

    it('written through v2, read through v1', async () => {
      const id = uniqueId();
      expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: id, body: { email: 'v2@example.com' } })).status).toBe(200);
      const patched = await call(ledger.url, {
        method: 'PATCH',
        path: PROFILE,
        customerUserId: id,
        body: { first_name: 'Vee', custom_attributes: [{ key: 'plan', value: 'pro' }] },
      });
      expect(patched.status).toBe(200);
      const expires = at(10 * DAY);
      expect(
        (await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: id, body: { access_level_id: 'silver', expires_at: expires } }))
          .status,
      ).toBe(200);
      const data = await get(id, '?extended');
      expect(data).toMatchObject({
        profile_id: patched.body.data.profile_id,
        customer_user_id: id,
        email: 'v2@example.com',
        first_name: 'Vee',
        custom_attributes: { plan: 'pro' },
        paid_access_levels: { silver: expect.objectContaining({ id: 'silver', is_active: true, expires_at: v1Date(expires) }) },
      });
      // A v2 revoke reads as ended in v1, with the time it ended.
      expect(
        (await call(ledger.url, { method: 'POST', path: REVOKE, customerUserId: id, body: { access_level_id: 'silver' } }))
          .status,
      ).toBe(200);
      const revoked = (await get(id)).paid_access_levels.silver;
      expect(revoked).toMatchObject({ is_active: false, unsubscribed_at: revoked.expires_at });
    });

    it('interleaved on one profile: v1 PATCH then v2 PATCH then v1 delete', async () => {
      const user = await create();
      expect((await v1('PATCH', `/profiles/${user.id}/`, { custom_attributes: { one: 1 } })).status).toBe(200);
      expect(
        (await call(ledger.url, { method: 'PATCH', path: PROFILE, profileId: user.profileId, body: { custom_attributes: [{ key: 'two', value: 2 }] } }))
          .status,
      ).toBe(200);
      expect((await get(user.profileId)).custom_attributes).toEqual({ one: 1, two: 2 });
      expect((await getV2(user.id)).custom_attributes).toEqual([
        { key: 'one', value: 1 },
        { key: 'two', value: 2 },
      ]);
      expect((await v1('DELETE', `/profiles/${user.profileId}/delete`)).status).toBe(204);
      expect((await call(ledger.url, { path: PROFILE, profileId: user.profileId })).status).toBe(404);
    });
  });

  describe('Stripe token validation', () => {
    const stripeBody = JSON.stringify({ data: { type: 'stripe_receipt_validation_result', attributes: { customer_user_id: 'u', stripe_token: 'sub_1' } } });

    it('without a Stripe API key for the app: 400 in JSON:API naming the setup step, with the JSON:API media type or JSON', async () => {
      for (const [path, type] of [
        ['/purchase/stripe/token/validate/', 'application/vnd.api+json'],
        ['/purchase/stripe/token/validate', 'application/vnd.api+json'],
        ['/purchase/stripe/token/validate/', 'application/json'],
      ]) {
        const r = await call(ledger.url, { method: 'POST', path: `${V1}${path}`, rawBody: stripeBody, headers: { 'content-type': type } });
        expect(r.status).toBe(400);
        expect(r.body.errors).toEqual([
          expect.objectContaining({ code: 'stripe_api_key_not_found', source: { pointer: '/data/attributes/stripe_token' }, status: '400', detail: expect.stringContaining('PUT /admin/v1/stores/stripe') }),
        ]);
      }
    });

    it('a missing attribute: Adapty\'s JSON:API error', async () => {
      const r = await call(ledger.url, { method: 'POST', path: `${V1}/purchase/stripe/token/validate/`, rawBody: JSON.stringify({ data: { attributes: { stripe_token: 'sub_1' } } }), headers: { 'content-type': 'application/vnd.api+json' } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ errors: [{ detail: 'none is not an allowed value', source: { pointer: '/data/attributes/customer_user_id' }, status: '400' }] });
    });

    it('the JSON:API media type is still refused elsewhere (415)', async () => {
      const r = await call(ledger.url, { method: 'POST', path: `${V1}/profiles/`, rawBody: '{}', headers: { 'content-type': 'application/vnd.api+json' } });
      expect(r.status).toBe(415);
      expect(r.body.error_code).toBe('unsupported_media_type');
    });
  });
});
