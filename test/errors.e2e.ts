import fc from 'fast-check';
import {
  createProfile,
  DAY,
  declareCatalogue,
  envelope,
  expectEnvelope,
  GRANT,
  GRANT_ALIAS,
  HOUR,
  MIN,
  oneTimeBody,
  PROFILE,
  REVOKE,
  SET,
  subscriptionBody,
  wholeSecond,
  withoutTimestamp,
} from './support/fixtures';
import { call, Call, RunningLedger, startLedger, V2 } from './support/ledger-server';

/** Every error the API can answer, over real HTTP, with Adapty's envelope (contract §5). Nothing changes on a refusal. */
describe('errors', () => {
  let ledger: RunningLedger;
  const USER = 'err-user';

  const at = (offset: number) => wholeSecond(ledger.clock, offset);
  const subscription = (o: Record<string, unknown> = {}) =>
    subscriptionBody(ledger.clock, { store_transaction_id: 'err-tx-1', store_original_transaction_id: 'err-tx-1', ...o });
  const oneTime = (o: Record<string, unknown> = {}) =>
    oneTimeBody(ledger.clock, {
      store: 'app_store',
      store_product_id: 'coins',
      store_transaction_id: 'err-otp-1',
      store_original_transaction_id: 'err-otp-1',
      price: { country: 'US', currency: 'USD', value: 1.99 },
      ...o,
    });

  /** The profile as GET shows it, without the response time. */
  const snapshot = async (customerUserId = USER) => withoutTimestamp(await call(ledger.url, { path: PROFILE, customerUserId }));

  beforeAll(async () => {
    ledger = await startLedger();
    await declareCatalogue(ledger.url, { products: { 'premium.monthly': 'premium' } });
    await createProfile(ledger.url, USER, { custom_attributes: [{ key: 'a', value: 'b' }] });
    expect((await call(ledger.url, { method: 'POST', path: SET, customerUserId: USER, body: subscription() })).status).toBe(200);
  });
  afterAll(() => ledger.close());

  describe('401 not_authenticated', () => {
    const NOT_PROVIDED = envelope(401, 'not_authenticated', 'non_field_errors', 'Authentication credentials were not provided.');
    const INVALID = envelope(401, 'not_authenticated', 'non_field_errors', 'Invalid API key.');
    const endpoints: Array<Pick<Call, 'method' | 'path' | 'body'>> = [
      { method: 'GET', path: PROFILE },
      { method: 'POST', path: PROFILE, body: {} },
      { method: 'PATCH', path: PROFILE, body: { custom_attributes: [{ key: 'x', value: 'y' }] } },
      { method: 'DELETE', path: PROFILE },
      { method: 'POST', path: SET, body: { purchase_type: 'nonsense' } },
      { method: 'POST', path: GRANT, body: { access_level_id: 'premium' } },
      { method: 'POST', path: GRANT_ALIAS, body: { access_level_id: 'premium' } },
      { method: 'POST', path: REVOKE, body: { access_level_id: 'premium' } },
      { method: 'GET', path: '/admin/v1/access-levels' },
      { method: 'PUT', path: '/admin/v1/access-levels/unauth' },
      { method: 'GET', path: '/admin/v1/products' },
      { method: 'PUT', path: '/admin/v1/products/unauth', body: { access_level_id: 'premium' } },
    ];
    const cases: Array<[string, Partial<Call>, object]> = [
      ['no Authorization header', { key: null }, NOT_PROVIDED],
      ['a wrong key', { key: 'secret_wrong_key' }, INVALID],
      ["another app's key with a typo", { key: 'secret_app1_keyX' }, INVALID],
      ['the Bearer scheme with a valid key', { key: null, headers: { authorization: 'Bearer secret_app1_key' } }, NOT_PROVIDED],
      ['the key alone, without a scheme', { key: null, headers: { authorization: 'secret_app1_key' } }, NOT_PROVIDED],
      ['Api-Key with no key', { key: null, headers: { authorization: 'Api-Key ' } }, NOT_PROVIDED],
      ['Api-Key with two words', { key: null, headers: { authorization: 'Api-Key secret_app1_key extra' } }, NOT_PROVIDED],
      ['Basic auth', { key: null, headers: { authorization: `Basic ${Buffer.from('app1:secret_app1_key').toString('base64')}` } }, NOT_PROVIDED],
    ];
    it.each(cases)('%s → 401 on every endpoint, before anything else is looked at', async (_label, auth, expected) => {
      for (const e of endpoints) {
        const r = await call(ledger.url, { ...e, customerUserId: USER, ...auth });
        expect({ endpoint: `${e.method} ${e.path}`, status: r.status, body: r.body }).toEqual({
          endpoint: `${e.method} ${e.path}`,
          status: 401,
          body: expected,
        });
      }
    });

    it('nothing changed behind the 401s', async () => {
      const before = await snapshot();
      expect(before.custom_attributes).toEqual([{ key: 'a', value: 'b' }]);
      expect(before.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['premium']);
      const levels = await call(ledger.url, { path: '/admin/v1/access-levels' });
      expect(levels.body.data.map((l: { access_level_id: string }) => l.access_level_id)).toEqual(['premium']);
      const products = await call(ledger.url, { path: '/admin/v1/products' });
      expect(products.body.data.map((p: { store_product_id: string }) => p.store_product_id)).toEqual(['premium.monthly']);
    });

    it('the scheme name is case-insensitive, as in HTTP', async () => {
      const r = await call(ledger.url, { path: PROFILE, customerUserId: USER, key: null, headers: { authorization: 'api-key secret_app1_key' } });
      expect(r.status).toBe(200);
    });
  });

  describe('profile_does_not_exist', () => {
    const NOT_FOUND_404 = envelope(404, 'profile_does_not_exist', null, 'Profile not found');
    const NOT_FOUND_400 = envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found');
    const ghosts: Array<Partial<Call>> = [{ customerUserId: 'ghost' }, { profileId: '3286abd3-48b0-4e9c-a5f6-ac0a006804a6' }];

    it.each(['GET', 'PATCH', 'DELETE'])('%s /profile/ of an unknown profile is 404, source null', async (method) => {
      for (const who of ghosts) {
        const r = await call(ledger.url, { method, path: PROFILE, ...who, body: method === 'PATCH' ? { first_name: 'x' } : undefined });
        expect(r.status).toBe(404);
        expect(r.body).toEqual(NOT_FOUND_404);
      }
    });

    it('POST /profile/ with an unknown adapty-profile-id is 404', async () => {
      for (const headers of [{ profileId: ghosts[1].profileId }, { profileId: ghosts[1].profileId, customerUserId: 'new-cuid' }]) {
        const r = await call(ledger.url, { method: 'POST', path: PROFILE, ...headers, body: {} });
        expect(r.status).toBe(404);
        expect(r.body).toEqual(NOT_FOUND_404);
      }
      // The customer_user_id was not taken by the failed attach.
      expect((await call(ledger.url, { path: PROFILE, customerUserId: 'new-cuid' })).status).toBe(404);
    });

    it.each([
      ['set transaction', SET, () => subscription()],
      ['grant', GRANT, () => ({ access_level_id: 'premium' })],
      ['grant (alias path)', GRANT_ALIAS, () => ({ access_level_id: 'premium' })],
      ['revoke', REVOKE, () => ({ access_level_id: 'premium' })],
    ])('%s on an unknown profile is 400, source non_field_errors', async (_label, path, body) => {
      for (const who of ghosts) {
        const r = await call(ledger.url, { method: 'POST', path, ...who, body: body() });
        expect(r.status).toBe(400);
        expect(r.body).toEqual(NOT_FOUND_400);
      }
    });

    it('GET with neither profile header is 404', async () => {
      const r = await call(ledger.url, { path: PROFILE });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(NOT_FOUND_404);
    });
  });

  describe('set transaction validation codes (contract §5.3)', () => {
    const raw: Array<[string, () => Record<string, unknown>, string, string | null, string]> = [
      [
        'one-time purchase with store_transaction_id ≠ store_original_transaction_id',
        () => oneTime({ store_original_transaction_id: 'something-else' }),
        'store_transaction_id_error',
        'store_transaction_id',
        'store_transaction_id must be equal to store_original_transaction_id for purchase.',
      ],
      [
        'a promotional offer without id',
        () => subscription({ offer: { category: 'promotional', type: 'pay_as_you_go' } }),
        'missing_offer_id',
        'offer_category',
        "offer_id must be specified for all offer types except 'introductory'.",
      ],
      [
        'a win_back offer with a null id',
        () => subscription({ offer: { category: 'win_back', type: 'pay_up_front', id: null } }),
        'missing_offer_id',
        'offer_category',
        "offer_id must be specified for all offer types except 'introductory'.",
      ],
      [
        'an offer_code offer with an empty id',
        () => subscription({ offer: { category: 'offer_code', type: 'pay_up_front', id: '' } }),
        'missing_offer_id',
        'offer_category',
        "offer_id must be specified for all offer types except 'introductory'.",
      ],
      [
        'a free trial with a price',
        () => subscription({ offer: { category: 'introductory', type: 'free_trial' } }),
        'free_trial_price_error',
        'offer_type',
        "If offer_type is 'free_trial', price.value must be 0.",
      ],
      [
        'a one-time purchase with a trial',
        () => oneTime({ price: { country: 'US', currency: 'USD', value: 0 }, offer: { category: 'introductory', type: 'free_trial' } }),
        'one_time_purchase_trial_error',
        'offer.type',
        'One-time purchase cannot have a trial.',
      ],
      [
        'family sharing with a price',
        () => subscription({ is_family_shared: true }),
        'family_share_price_error',
        'is_family_shared',
        'If is_family_shared is true, price.value must be 0.',
      ],
      [
        'expires_at equal to purchased_at',
        () => subscription({ expires_at: at(-DAY) }),
        'expires_date_error',
        'expires_at',
        'expires_at must be later than purchased_at.',
      ],
      [
        'expires_at before purchased_at',
        () => subscription({ expires_at: at(-2 * DAY) }),
        'expires_date_error',
        'expires_at',
        'expires_at must be later than purchased_at.',
      ],
      [
        'refunded_at before purchased_at',
        () => subscription({ refunded_at: at(-2 * DAY), cancellation_reason: 'refund' }),
        'refund_date_error',
        'refunded_at',
        'refunded_at must be later than purchased_at.',
      ],
      [
        'refunded_at without cancellation_reason refund',
        () => subscription({ refunded_at: at(-HOUR) }),
        'refund_fields_error',
        'refunded_at',
        'refunded_at and cancellation_reason=refund must be specified together.',
      ],
      [
        'cancellation_reason refund without refunded_at',
        () => oneTime({ cancellation_reason: 'refund' }),
        'refund_fields_error',
        'refunded_at',
        'refunded_at and cancellation_reason=refund must be specified together.',
      ],
      [
        'refunded_at with another cancellation_reason',
        () => subscription({ refunded_at: at(-HOUR), cancellation_reason: 'voluntarily_cancelled' }),
        'refund_fields_error',
        'refunded_at',
        'refunded_at and cancellation_reason=refund must be specified together.',
      ],
      [
        'grace_period_expires_at without billing_issue_detected_at',
        () => subscription({ grace_period_expires_at: at(35 * DAY) }),
        'grace_period_billing_error',
        'grace_period_billing_error',
        'If grace_period_expires_at is specified, billing_issue_detected_at must also be specified.',
      ],
      [
        'grace_period_expires_at before expires_at',
        () => subscription({ billing_issue_detected_at: at(-HOUR), grace_period_expires_at: at(28 * DAY) }),
        'grace_period_expires_date_error',
        'grace_period_expires_at',
        'grace_period_expires_at must be later or equal to expires_at.',
      ],
      [
        'originally_purchased_at after purchased_at',
        () => subscription({ originally_purchased_at: at(-HOUR) }),
        'originally_purchased_date_error',
        'originally_purchased_at',
        'originally_purchased_at must be earlier than or equal to purchased_at.',
      ],
      [
        'renew_status_changed_at before purchased_at',
        () => subscription({ renew_status: false, renew_status_changed_at: at(-2 * DAY) }),
        'renew_status_changed_date_error',
        'renew_status_changed_at',
        'renew_status_changed_at must be later than purchased_at.',
      ],
      [
        'billing_issue_detected_at before purchased_at',
        () => subscription({ billing_issue_detected_at: at(-2 * DAY) }),
        'billing_issue_detected_at_date_comparison_error',
        'billing_issue_detected_at',
        'billing_issue_detected_at must be later than purchased_at.',
      ],
    ];

    const cases = raw.map(([label, body, code, source, message]) => [code, label, body, source, message] as const);
    it.each(cases)('%s: %s', async (code, _label, body, source, message) => {
      const before = await snapshot();
      const r = await call(ledger.url, { method: 'POST', path: SET, customerUserId: USER, body: body() });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, code, source, message));
      expect(await snapshot()).toEqual(before);
    });

    it('the boundaries just inside each rule are accepted', async () => {
      const user = 'err-boundaries';
      expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: user, body: {} })).status).toBe(200);
      const purchased = at(-DAY);
      const expires = at(29 * DAY);
      const accepted = [
        subscription({ store_transaction_id: 'b1', store_original_transaction_id: 'b1', purchased_at: purchased, originally_purchased_at: purchased, expires_at: at(-DAY + 1000) }),
        subscription({ store_transaction_id: 'b2', store_original_transaction_id: 'b2', offer: { category: 'introductory', type: 'pay_as_you_go' } }),
        subscription({ store_transaction_id: 'b3', store_original_transaction_id: 'b3', offer: { category: 'introductory', type: 'free_trial' }, price: { country: 'US', currency: 'USD', value: 0 } }),
        subscription({ store_transaction_id: 'b4', store_original_transaction_id: 'b4', is_family_shared: true, price: { country: 'US', currency: 'USD', value: 0 } }),
        subscription({ store_transaction_id: 'b5', store_original_transaction_id: 'b5', purchased_at: purchased, refunded_at: at(-DAY + 1000), cancellation_reason: 'refund' }),
        subscription({ store_transaction_id: 'b6', store_original_transaction_id: 'b6', purchased_at: purchased, expires_at: expires, billing_issue_detected_at: at(-HOUR), grace_period_expires_at: expires }),
        subscription({ store_transaction_id: 'b7', store_original_transaction_id: 'b7', purchased_at: purchased, renew_status: false, renew_status_changed_at: at(-DAY + 1000) }),
        oneTime({ store_transaction_id: 'b8', store_original_transaction_id: 'b8', offer: { category: 'promotional', type: 'pay_up_front', id: 'promo' } }),
      ];
      for (const body of accepted) {
        const r = await call(ledger.url, { method: 'POST', path: SET, customerUserId: user, body });
        expect({ id: body.store_transaction_id, status: r.status, body: r.status === 200 ? null : r.body }).toEqual({
          id: body.store_transaction_id,
          status: 200,
          body: null,
        });
      }
    });

    it('store_transaction_id longer than 50 characters is 400; 50 is accepted', async () => {
      const before = await snapshot();
      const long = 'x'.repeat(51);
      const r = await call(ledger.url, { method: 'POST', path: SET, customerUserId: USER, body: subscription({ store_transaction_id: long, store_original_transaction_id: long }) });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'validation_error', 'store_transaction_id', 'store_transaction_id must be at most 50 characters: trim or hash longer ids.'));
      expect(await snapshot()).toEqual(before);

      const fifty = 'y'.repeat(50);
      const ok = await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'err-boundaries', body: subscription({ store_transaction_id: fifty, store_original_transaction_id: fifty }) });
      expect(ok.status).toBe(200);
      expect(ok.body.data.subscriptions.map((s: { store_transaction_id: string }) => s.store_transaction_id)).toContain(fifty);
    });
  });

  describe('grant and revoke codes', () => {
    it('paid_access_level_does_not_exist (grant and revoke)', async () => {
      for (const path of [GRANT, REVOKE]) {
        const r = await call(ledger.url, { method: 'POST', path, customerUserId: USER, body: { access_level_id: 'diamond' } });
        expect(r.status).toBe(400);
        expect(r.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `diamond` does not exist'));
      }
    });

    it('profile_paid_access_level_does_not_exist', async () => {
      await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/vip' });
      const profileId = (await snapshot()).profile_id;
      const r = await call(ledger.url, { method: 'POST', path: REVOKE, customerUserId: USER, body: { access_level_id: 'vip' } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'profile_paid_access_level_does_not_exist', 'non_field_errors', `Profile \`${profileId}\` has no \`vip\` access level`));
    });

    it('revocation_date_more_than_expiration_date', async () => {
      const before = await snapshot();
      const expires = Date.parse(before.access_levels[0].expires_at);
      const revokeAt = new Date(expires + DAY).toISOString();
      const r = await call(ledger.url, { method: 'POST', path: REVOKE, customerUserId: USER, body: { access_level_id: 'premium', revoke_at: revokeAt } });
      expect(r.status).toBe(400);
      const py = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, '+00:00');
      expect(r.body).toEqual(
        envelope(400, 'revocation_date_more_than_expiration_date', 'revoke_at', `Revocation date (${py(expires + DAY)}) is more than current expiration date (${py(expires)})`),
      );
      expect(await snapshot()).toEqual(before);
    });

    it('value_error', async () => {
      const before = await snapshot();
      const r = await call(ledger.url, { method: 'POST', path: REVOKE, customerUserId: USER, body: { access_level_id: 'premium', revoke_at: at(-MIN) } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'value_error', null, 'Must be greater than the current time or null'));
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('malformed input: a 4xx envelope, never a 5xx, and nothing changed', () => {
    let before: Record<string, unknown>;
    beforeAll(async () => {
      before = await snapshot();
    });
    afterAll(async () => {
      expect(await snapshot()).toEqual(before);
    });

    const send = (c: Partial<Call>) => call(ledger.url, { method: 'POST', path: SET, customerUserId: USER, ...c } as Call);
    const INVALID_JSON = envelope(400, 'validation_error', 'non_field_errors', "Body is not valid JSON but content-type is set to 'application/json'");
    const NOT_OBJECT = envelope(400, 'validation_error', 'non_field_errors', 'Invalid data. Expected a JSON object.');

    it.each([
      ['set transaction', SET, 'POST'],
      ['profile PATCH', PROFILE, 'PATCH'],
      ['profile POST', PROFILE, 'POST'],
      ['grant', GRANT, 'POST'],
      ['revoke', REVOKE, 'POST'],
    ])('%s: invalid JSON is 400', async (_label, path, method) => {
      for (const raw of ['{"purchase_type":', '{bad}', "{'a':1}", '{"a":1,}', 'NaN', '{"a":1}{"b":2}']) {
        const r = await send({ method, path, rawBody: raw });
        expectEnvelope(r, 400);
        expect(r.body).toEqual(INVALID_JSON);
      }
    });

    it.each([
      ['set transaction', SET, 'POST'],
      ['profile PATCH', PROFILE, 'PATCH'],
      ['grant', GRANT, 'POST'],
      ['revoke', REVOKE, 'POST'],
    ])('%s: a JSON array, string or number body is 400', async (_label, path, method) => {
      for (const raw of ['[]', '[{"access_level_id":"premium"}]', '"premium"', '42', 'true']) {
        const r = await send({ method, path, rawBody: raw });
        expectEnvelope(r, 400);
        expect(r.body).toEqual(NOT_OBJECT);
      }
    });

    it('an empty body with a JSON content type is no body: required fields are reported, GET and DELETE work', async () => {
      const r = await send({ rawBody: '' });
      expectEnvelope(r, 400);
      expect(r.body.error_code).toBe('validation_error');
      expect(r.body.errors.map((e: { source: string }) => e.source)).toContain('store_transaction_id');
      const json = { 'content-type': 'application/json' };
      await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'empty-body', rawBody: '', headers: json });
      expect((await call(ledger.url, { path: PROFILE, customerUserId: 'empty-body', headers: json })).status).toBe(200);
      expect((await call(ledger.url, { method: 'DELETE', path: PROFILE, customerUserId: 'empty-body', rawBody: '', headers: json })).status).toBe(204);
    });

    it('a prototype-polluting body is 400', async () => {
      for (const raw of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
        expectEnvelope(await send({ method: 'PATCH', path: PROFILE, rawBody: raw }), 400);
      }
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('a deeply nested body is 400, not a stack overflow', async () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const nested = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
      const tooDeep = envelope(400, 'validation_error', 'non_field_errors', 'Invalid data. The JSON body is nested too deeply.');
      for (const [method, path, raw] of [
        ['PATCH', PROFILE, `{"installation_meta":{"a":${deep}}}`],
        ['PATCH', PROFILE, `{"custom_attributes":${deep}}`],
        ['POST', PROFILE, `{"installation_meta":${nested}}`],
        ['POST', SET, `{"offer":${nested}}`],
        ['POST', GRANT, `{"access_level_id":${deep}}`],
      ]) {
        const r = await send({ method, path, rawBody: raw });
        expectEnvelope(r, 400);
        expect(r.body).toEqual(tooDeep);
      }
    });

    it.each([
      ['price.value as a string', { price: { country: 'US', currency: 'USD', value: '9.99' } }, 'price.value', 'value must be a number conforming to the specified constraints'],
      ['a negative price', { price: { country: 'US', currency: 'USD', value: -1 } }, 'price.value', 'value must not be less than 0'],
      ['a three-letter country', { price: { country: 'USA', currency: 'USD', value: 1 } }, 'price.country', 'country must be shorter than or equal to 2 characters'],
      ['renew_status "yes"', { renew_status: 'yes' }, 'renew_status', 'renew_status must be a boolean value'],
      ['renew_status 1', { renew_status: 1 }, 'renew_status', 'renew_status must be a boolean value'],
      ['is_family_shared "true"', { is_family_shared: 'true' }, 'is_family_shared', 'is_family_shared must be a boolean value'],
      ['an unknown purchase_type', { purchase_type: 'lifetime' }, 'purchase_type', 'purchase_type must be one of the following values: one_time_purchase, subscription'],
      ['an unknown environment', { environment: 'Staging' }, 'environment', 'environment must be one of the following values: Production, Sandbox'],
      ['a lower-case environment', { environment: 'sandbox' }, 'environment', 'environment must be one of the following values: Production, Sandbox'],
      [
        'an unknown cancellation_reason',
        { cancellation_reason: 'bored' },
        'cancellation_reason',
        'cancellation_reason must be one of the following values: billing_error, cancelled_by_developer, new_subscription_replace, price_increase, product_was_not_available, refund, unknown, upgraded, voluntarily_cancelled, adapty_revoked',
      ],
      ['an unknown offer.category', { offer: { category: 'seasonal', type: 'pay_up_front', id: 'x' } }, 'offer.category', 'category must be one of the following values: introductory, promotional, offer_code, win_back'],
      ['an unknown offer.type', { offer: { category: 'promotional', type: 'half_price', id: 'x' } }, 'offer.type', 'type must be one of the following values: free_trial, pay_as_you_go, pay_up_front'],
      ['purchased_at that is not a date', { purchased_at: 'yesterday' }, 'purchased_at', 'purchased_at must be an ISO 8601 date-time, e.g. 2024-01-15T10:30:00Z.'],
      ['purchased_at as epoch milliseconds', { purchased_at: 1700000000000 }, 'purchased_at', 'purchased_at must be an ISO 8601 date-time, e.g. 2024-01-15T10:30:00Z.'],
      ['expires_at on February 30th', { expires_at: '2031-02-30T00:00:00Z' }, 'expires_at', 'expires_at must be an ISO 8601 date-time, e.g. 2024-01-15T10:30:00Z.'],
      ['store_product_id as a number', { store_product_id: 42 }, 'store_product_id', 'store_product_id must be a string'],
    ])('%s is 400 on its field', async (_label, patch, source, message) => {
      const r = await send({ body: { ...subscription({ store_transaction_id: 'never', store_original_transaction_id: 'never' }), ...patch } });
      expectEnvelope(r, 400);
      expect(r.body.error_code).toBe('validation_error');
      expect(r.body.errors).toContainEqual({ source, errors: [message] });
      expect(r.body.errors.every((e: { source: string }) => e.source === source)).toBe(true);
    });

    it.each(['purchase_type', 'store', 'store_product_id', 'store_transaction_id', 'store_original_transaction_id', 'price', 'purchased_at', 'originally_purchased_at', 'expires_at', 'renew_status'])(
      'a subscription without %s is 400 on that field',
      async (field) => {
        const body = subscription({ store_transaction_id: 'never', store_original_transaction_id: 'never' });
        delete body[field];
        const r = await send({ body });
        expectEnvelope(r, 400);
        expect(r.body.error_code).toBe('validation_error');
        expect(r.body.errors.length).toBeGreaterThan(0);
        // purchase_type decides which other fields are required; without it only purchase_type is reported.
        expect(r.body.errors.every((e: { source: string }) => e.source === field)).toBe(true);
      },
    );

    it.each([
      ['price.country', { country: undefined }],
      ['price.currency', { currency: undefined }],
      ['price.value', { value: undefined }],
    ])('a price without %s is 400 on that field', async (source, p) => {
      const body = subscription({ store_transaction_id: 'never', store_original_transaction_id: 'never', price: { country: 'US', currency: 'USD', value: 1, ...p } });
      const r = await send({ body: JSON.parse(JSON.stringify(body)) });
      expectEnvelope(r, 400);
      expect(r.body.errors.every((e: { source: string }) => e.source === source)).toBe(true);
    });

    it('an empty object lists every missing required field', async () => {
      const r = await send({ body: {} });
      expectEnvelope(r, 400);
      expect(r.body.error_code).toBe('validation_error');
      expect([...new Set(r.body.errors.map((e: { source: string }) => e.source))]).toEqual([
        'purchase_type',
        'store',
        'store_product_id',
        'store_transaction_id',
        'store_original_transaction_id',
        'price',
        'purchased_at',
      ]);
    });

    it.each([
      ['gender', { gender: 'female' }, 'gender must be one of the following values: f, m, o'],
      ['birthday', { birthday: '12/31/2000' }, 'birthday must be a date in YYYY-MM-DD format.'],
      ['email', { email: 'a@' }, 'email must be an email'],
      ['store_country', { store_country: 'USA' }, 'store_country must be an ISO 3166-1 alpha-2 code.'],
      ['installation_meta', { installation_meta: 'iPhone' }, 'installation_meta must be an object'],
    ])('PATCH with a bad %s is 400', async (source, body, message) => {
      const r = await send({ method: 'PATCH', path: PROFILE, body });
      expectEnvelope(r, 400);
      expect(r.body).toEqual(envelope(400, 'validation_error', source, message));
    });

    it('a body over 1 MiB is 413', async () => {
      const big = 'x'.repeat(1024 * 1024 + 1);
      for (const [method, path] of [
        ['POST', SET],
        ['PATCH', PROFILE],
        ['POST', PROFILE],
        ['POST', GRANT],
      ]) {
        const r = await send({ method, path, rawBody: JSON.stringify({ first_name: big }) });
        expectEnvelope(r, 413);
        expect(r.body).toEqual(envelope(413, 'payload_too_large', null, 'Request body is too large.'));
      }
    });

    it('a body just under 1 MiB is read (and refused on its own merits)', async () => {
      const r = await send({ method: 'PATCH', path: PROFILE, rawBody: JSON.stringify({ first_name: 'x'.repeat(1000 * 1000) }) });
      expectEnvelope(r, 400);
      expect(r.body.errors).toContainEqual({ source: 'first_name', errors: ['first_name must be shorter than or equal to 255 characters'] });
    });

    it('an adapty-profile-id that is not a UUID is 400 on every profile endpoint', async () => {
      const bad = envelope(400, 'validation_error', 'adapty-profile-id', 'adapty-profile-id must be a valid UUID.');
      for (const profileId of ['not-a-uuid', '12345', '3286abd3-48b0-4e9c-a5f6-ac0a006804a6x', "' OR 1=1 --"]) {
        for (const [method, path, body] of [
          ['GET', PROFILE, undefined],
          ['POST', PROFILE, {}],
          ['PATCH', PROFILE, { first_name: 'x' }],
          ['DELETE', PROFILE, undefined],
          ['POST', SET, subscription()],
          ['POST', GRANT, { access_level_id: 'premium' }],
          ['POST', REVOKE, { access_level_id: 'premium' }],
        ] as const) {
          const r = await call(ledger.url, { method, path, profileId, body });
          expect({ method, path, status: r.status, body: r.body }).toEqual({ method, path, status: 400, body: bad });
        }
      }
    });

    it('an empty or over-long adapty-customer-user-id is 400', async () => {
      const bad = envelope(400, 'validation_error', 'adapty-customer-user-id', 'adapty-customer-user-id must be 1 to 255 characters.');
      for (const headers of [{ 'adapty-customer-user-id': '' }, { 'adapty-customer-user-id': 'u'.repeat(256) }]) {
        const r = await call(ledger.url, { method: 'POST', path: PROFILE, headers, body: {} });
        expect(r.status).toBe(400);
        expect(r.body).toEqual(bad);
      }
      expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'u'.repeat(255), body: {} })).status).toBe(200);
    });

    it('a body in another media type is 415', async () => {
      for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'application/vnd.api+json']) {
        const r = await send({ rawBody: 'a=1', headers: { 'content-type': type } });
        expectEnvelope(r, 415);
        expect(r.body).toEqual(envelope(415, 'unsupported_media_type', null, 'Unsupported media type: send application/json.'));
      }
    });

    it('a form-encoded or plain-text body is parsed, then refused as 400', async () => {
      const form = await send({ rawBody: 'purchase_type=subscription', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectEnvelope(form, 400);
      expect(form.body.error_code).toBe('validation_error');
      const text = await send({ rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
      expectEnvelope(text, 400);
      expect(text.body).toEqual(NOT_OBJECT);
    });

    it('an unknown path or method is 404 not_found', async () => {
      const notFound = envelope(404, 'not_found', null, 'Not found.');
      for (const c of [
        { path: `${V2}/nothing-here/` },
        { path: '/api/v1/sdk/nothing-here/' },
        { method: 'PUT', path: PROFILE, body: {} },
        { method: 'GET', path: SET },
        { method: 'DELETE', path: GRANT },
      ]) {
        const r = await call(ledger.url, { ...c, customerUserId: USER });
        expectEnvelope(r, 404);
        expect(r.body).toEqual(notFound);
      }
    });

    it('random bodies never get a 5xx (property-based)', async () => {
      expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'err-fuzz', body: {} })).status).toBe(200);
      const endpoints: Array<[string, string]> = [
        ['POST', SET],
        ['PATCH', PROFILE],
        ['POST', GRANT],
        ['POST', REVOKE],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), fc.jsonValue({ maxDepth: 4 }), async ([method, path], body) => {
          const r = await send({ method, path, customerUserId: 'err-fuzz', rawBody: JSON.stringify(body) });
          // Unknown keys are dropped, so a random object may be a valid (empty) PATCH.
          if (r.status !== 200) expectEnvelope(r);
        }),
        { numRuns: 150, seed: 20261125 },
      );
    });

    it('a valid set-transaction body with one field replaced by a random value never gets a 5xx', async () => {
      expect((await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'err-fuzz', body: {} })).status).toBe(200);
      const base = subscription({ store_transaction_id: 'fuzz', store_original_transaction_id: 'fuzz' });
      const fields = [...Object.keys(base), 'offer', 'refunded_at', 'cancellation_reason', 'billing_issue_detected_at', 'grace_period_expires_at', 'environment', 'is_family_shared'];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 2 }), async (field, value) => {
          const r = await call(ledger.url, { method: 'POST', path: SET, customerUserId: 'err-fuzz', body: { ...base, [field]: value } });
          if (r.status === 200) return;
          expectEnvelope(r);
        }),
        { numRuns: 150, seed: 424242 },
      );
    });
  });
});
