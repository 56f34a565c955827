import { envelope, PROFILE, UUID, withoutTimestamp } from './support/fixtures';
import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';

/** Profiles over real HTTP: create, read, attributes, delete (contract §2.2, §3.1, §4). */
describe('profiles', () => {
  let ledger: RunningLedger;
  const V2_FIELDS = [
    'access_levels',
    'app_id',
    'custom_attributes',
    'customer_user_id',
    'non_subscriptions',
    'profile_id',
    'segment_hash',
    'subscriptions',
    'timestamp',
    'total_revenue_usd',
  ];

  const create = (customerUserId: string, body: unknown = {}) => call(ledger.url, { method: 'POST', path: PROFILE, customerUserId, body });
  const get = (who: { customerUserId?: string; profileId?: string }) => call(ledger.url, { path: PROFILE, ...who });
  const patch = (who: { customerUserId?: string; profileId?: string }, body: unknown) =>
    call(ledger.url, { method: 'PATCH', path: PROFILE, ...who, body });
  const validation = (source: string | null, message: string) => envelope(400, 'validation_error', source, message);

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  describe('create', () => {
    it('creates a profile by adapty-customer-user-id with every v2 field', async () => {
      const before = Date.now();
      const r = await create('alice');
      const after = Date.now();
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(r.body)).toEqual(['data']);
      const p = r.body.data;
      expect(Object.keys(p).sort()).toEqual(V2_FIELDS);
      expect(p.app_id).toBe('app1');
      expect(p.profile_id).toMatch(UUID);
      expect(p.customer_user_id).toBe('alice');
      expect(p.total_revenue_usd).toBe(0);
      expect(p.segment_hash).toMatch(/^[0-9a-f]{16}$/);
      expect(Number.isInteger(p.timestamp)).toBe(true);
      expect(p.timestamp).toBeGreaterThanOrEqual(before);
      expect(p.timestamp).toBeLessThanOrEqual(after);
      expect(p.custom_attributes).toEqual([]);
      expect(p.access_levels).toEqual([]);
      expect(p.subscriptions).toEqual([]);
      expect(p.non_subscriptions).toEqual([]);
    });

    it('creating again with the same customer_user_id returns the same profile', async () => {
      const first = await create('bob');
      const second = await create('bob');
      expect(second.status).toBe(200);
      expect(second.body.data.profile_id).toBe(first.body.data.profile_id);
      expect(withoutTimestamp(second)).toEqual(withoutTimestamp(first));
    });

    it('different customer_user_ids get different profiles', async () => {
      const a = await create('carol');
      const b = await create('dave');
      expect(a.body.data.profile_id).not.toBe(b.body.data.profile_id);
    });

    it('accepts built-in and custom attributes on create', async () => {
      const r = await create('erin', {
        first_name: 'Erin',
        gender: 'f',
        birthday: '1990-04-01',
        email: 'erin@example.com',
        custom_attributes: [
          { key: 'plan', value: 'pro' },
          { key: 'score', value: 12.5 },
        ],
      });
      expect(r.status).toBe(200);
      expect(r.body.data.custom_attributes).toEqual([
        { key: 'plan', value: 'pro' },
        { key: 'score', value: 12.5 },
      ]);
    });

    it('create with both headers attaches the customer_user_id to the existing profile', async () => {
      const original = await create('frank');
      const profileId = original.body.data.profile_id;
      const attached = await call(ledger.url, { method: 'POST', path: PROFILE, profileId, customerUserId: 'frank-new', body: {} });
      expect(attached.status).toBe(200);
      expect(attached.body.data.profile_id).toBe(profileId);
      expect(attached.body.data.customer_user_id).toBe('frank-new');
      const byNewId = await get({ customerUserId: 'frank-new' });
      expect(byNewId.status).toBe(200);
      expect(byNewId.body.data.profile_id).toBe(profileId);
      const byProfileId = await get({ profileId });
      expect(byProfileId.body.data.customer_user_id).toBe('frank-new');
      // The old id is released: it no longer names this profile.
      expect((await get({ customerUserId: 'frank' })).status).toBe(404);
      // Creating by the old id now makes a new profile.
      const fresh = await create('frank');
      expect(fresh.body.data.profile_id).not.toBe(profileId);
    });

    it('attaching a customer_user_id that another profile holds is refused and changes nothing', async () => {
      const holder = await create('gina');
      const other = await create('hank');
      const r = await call(ledger.url, {
        method: 'POST',
        path: PROFILE,
        profileId: other.body.data.profile_id,
        customerUserId: 'gina',
        body: {},
      });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'customer_user_id_taken', 'customer_user_id', 'This customer_user_id already belongs to another profile.'));
      expect((await get({ customerUserId: 'gina' })).body.data.profile_id).toBe(holder.body.data.profile_id);
      expect((await get({ profileId: other.body.data.profile_id })).body.data.customer_user_id).toBe('hank');
    });

    it('create by adapty-profile-id alone returns the existing profile', async () => {
      const created = await create('ivy');
      const r = await call(ledger.url, { method: 'POST', path: PROFILE, profileId: created.body.data.profile_id, body: {} });
      expect(r.status).toBe(200);
      expect(withoutTimestamp(r)).toEqual(withoutTimestamp(created));
    });

    it('create with neither header is refused', async () => {
      const r = await call(ledger.url, { method: 'POST', path: PROFILE, body: {} });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(validation('adapty-customer-user-id', 'Send the adapty-customer-user-id or adapty-profile-id header.'));
    });

    it('a POST without a body creates the profile too', async () => {
      const r = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'no-body' });
      expect(r.status).toBe(200);
      expect(r.body.data.customer_user_id).toBe('no-body');
    });

    it('customer_user_id may hold characters that are reserved in URLs', async () => {
      const id = 'user+1/a?b=c&d é';
      const r = await call(ledger.url, {
        method: 'POST',
        path: PROFILE,
        headers: { 'adapty-customer-user-id': encodeURIComponent(id) },
        body: {},
      });
      // Header values travel as is (no decoding): the id is the encoded text.
      expect(r.status).toBe(200);
      expect(r.body.data.customer_user_id).toBe(encodeURIComponent(id));
      const plain = await create('user+1/a?b=c&d');
      expect(plain.body.data.customer_user_id).toBe('user+1/a?b=c&d');
    });
  });

  describe('get', () => {
    it('reads a profile by either header, with the same body', async () => {
      const created = await create('jack', { custom_attributes: [{ key: 'k', value: 'v' }] });
      const profileId = created.body.data.profile_id;
      const byCustomer = await get({ customerUserId: 'jack' });
      const byProfile = await get({ profileId });
      expect(byCustomer.status).toBe(200);
      expect(byProfile.status).toBe(200);
      expect(withoutTimestamp(byCustomer)).toEqual(withoutTimestamp(created));
      expect(withoutTimestamp(byProfile)).toEqual(withoutTimestamp(created));
    });

    it('accepts an upper-case adapty-profile-id', async () => {
      const created = await create('kate');
      const r = await get({ profileId: created.body.data.profile_id.toUpperCase() });
      expect(r.status).toBe(200);
      expect(r.body.data.profile_id).toBe(created.body.data.profile_id);
    });

    it('timestamp is the response time in milliseconds', async () => {
      await create('leo');
      const before = Date.now();
      const r = await get({ customerUserId: 'leo' });
      expect(r.body.data.timestamp).toBeGreaterThanOrEqual(before);
      expect(r.body.data.timestamp).toBeLessThanOrEqual(Date.now());
    });

    it('an unknown profile is 404 profile_does_not_exist', async () => {
      const r = await get({ customerUserId: 'nobody-here' });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(envelope(404, 'profile_does_not_exist', null, 'Profile not found'));
      const byId = await get({ profileId: '00000000-0000-4000-8000-000000000000' });
      expect(byId.status).toBe(404);
      expect(byId.body.error_code).toBe('profile_does_not_exist');
    });
  });

  describe('patch built-in attributes', () => {
    let who: { customerUserId: string };
    beforeAll(async () => {
      who = { customerUserId: 'mia' };
      await create('mia');
    });

    it.each(['f', 'm', 'o'])('accepts gender %s', async (gender) => {
      const r = await patch(who, { gender });
      expect(r.status).toBe(200);
      expect(r.body.data.customer_user_id).toBe('mia');
    });

    it('accepts every built-in attribute at once, and null for each', async () => {
      const all = {
        first_name: 'Mia',
        last_name: 'Wallace',
        gender: 'f',
        email: 'mia@example.com',
        phone_number: '+1234567890',
        birthday: '2000-12-31',
        ip_country: 'FR',
        ip_v4_address: '192.0.2.1',
        store_country: 'US',
        store: 'app_store',
        store_account_token: '6b0b8a6e-1f0a-4c1e-9a57-3a1f2b8c9d0e',
        att_status: 3,
        analytics_disabled: false,
        installation_meta: { device_id: '0f8fad5b-d9cb-469f-a165-70867728950e', os: 'iOS 17.2', platform: 'iOS' },
      };
      const set = await patch(who, all);
      expect(set.status).toBe(200);
      const nulls = Object.fromEntries(Object.keys(all).map((k) => [k, null]));
      const cleared = await patch(who, nulls);
      expect(cleared.status).toBe(200);
      // The v2 profile does not echo built-in attributes: it is unchanged apart from timestamp.
      expect(Object.keys(cleared.body.data).sort()).toEqual(V2_FIELDS);
      expect(cleared.body.data.custom_attributes).toEqual([]);
    });

    it.each([
      [{ gender: 'female' }, 'gender', 'gender must be one of the following values: f, m, o'],
      [{ gender: 'x' }, 'gender', 'gender must be one of the following values: f, m, o'],
      [{ birthday: '31-12-2000' }, 'birthday', 'birthday must be a date in YYYY-MM-DD format.'],
      [{ birthday: '2000-12-31T00:00:00Z' }, 'birthday', 'birthday must be a date in YYYY-MM-DD format.'],
      [{ email: 'not-an-email' }, 'email', 'email must be an email'],
      [{ ip_country: 'FRA' }, 'ip_country', 'ip_country must be an ISO 3166-1 alpha-2 code.'],
      [{ att_status: 4 }, 'att_status', 'att_status must be one of the following values: 0, 1, 2, 3'],
      [{ analytics_disabled: 'yes' }, 'analytics_disabled', 'analytics_disabled must be a boolean value'],
    ])('refuses %j with a validation error on its field', async (body, source, message) => {
      const before = await get(who);
      const r = await patch(who, body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual(validation(source, message));
      expect(withoutTimestamp(await get(who))).toEqual(withoutTimestamp(before));
    });

    it('refuses a first_name that is not a string (every broken rule of the field is listed)', async () => {
      const r = await patch(who, { first_name: 42 });
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('validation_error');
      expect(r.body.status_code).toBe(400);
      expect(r.body.errors).toContainEqual({ source: 'first_name', errors: ['first_name must be a string'] });
      expect(r.body.errors.every((e: { source: string }) => e.source === 'first_name')).toBe(true);
    });

    it('refuses a birthday that is not a calendar date', async () => {
      for (const birthday of ['2001-02-30', '1900-02-29', '2000-13-01', '2000-00-10']) {
        const r = await patch(who, { birthday });
        expect(r.status).toBe(400);
        expect(r.body).toEqual(validation('birthday', 'birthday must be a date in YYYY-MM-DD format.'));
      }
      expect((await patch(who, { birthday: '2000-02-29' })).status).toBe(200);
    });
  });

  describe('patch custom attributes', () => {
    it('sets, keeps keys not sent, and deletes with null or ""', async () => {
      await create('nina');
      const who = { customerUserId: 'nina' };
      const first = await patch(who, {
        custom_attributes: [
          { key: 'color', value: 'violet' },
          { key: 'level', value: 3 },
          { key: 'ratio', value: 0.25 },
        ],
      });
      expect(first.status).toBe(200);
      expect(first.body.data.custom_attributes).toEqual([
        { key: 'color', value: 'violet' },
        { key: 'level', value: 3 },
        { key: 'ratio', value: 0.25 },
      ]);

      const second = await patch(who, { custom_attributes: [{ key: 'sport', value: 'yoga' }, { key: 'level', value: 4 }] });
      expect(second.body.data.custom_attributes).toEqual([
        { key: 'color', value: 'violet' },
        { key: 'level', value: 4 },
        { key: 'ratio', value: 0.25 },
        { key: 'sport', value: 'yoga' },
      ]);

      const third = await patch(who, { custom_attributes: [{ key: 'color', value: null }, { key: 'ratio', value: '' }] });
      expect(third.status).toBe(200);
      expect(third.body.data.custom_attributes).toEqual([
        { key: 'level', value: 4 },
        { key: 'sport', value: 'yoga' },
      ]);

      // A PATCH without custom_attributes keeps them all.
      const fourth = await patch(who, { first_name: 'Nina' });
      expect(fourth.body.data.custom_attributes).toEqual([
        { key: 'level', value: 4 },
        { key: 'sport', value: 'yoga' },
      ]);
      // Deleting a key that is not there is a no-op.
      const fifth = await patch(who, { custom_attributes: [{ key: 'never-set', value: null }] });
      expect(fifth.status).toBe(200);
      expect(fifth.body.data.custom_attributes).toEqual(fourth.body.data.custom_attributes);
      // GET agrees with the PATCH answers.
      expect((await get(who)).body.data.custom_attributes).toEqual(fourth.body.data.custom_attributes);
    });

    it('changes segment_hash when custom attributes change, and only then', async () => {
      const created = await create('oscar');
      const who = { customerUserId: 'oscar' };
      const same = await patch(who, { first_name: 'Oscar' });
      expect(same.body.data.segment_hash).toBe(created.body.data.segment_hash);
      const changed = await patch(who, { custom_attributes: [{ key: 'a', value: 'b' }] });
      expect(changed.body.data.segment_hash).toMatch(/^[0-9a-f]{16}$/);
      expect(changed.body.data.segment_hash).not.toBe(created.body.data.segment_hash);
    });

    it('converts booleans to numbers', async () => {
      await create('pat');
      const r = await patch({ customerUserId: 'pat' }, { custom_attributes: [{ key: 'yes', value: true }, { key: 'no', value: false }] });
      expect(r.status).toBe(200);
      expect(r.body.data.custom_attributes).toEqual([
        { key: 'yes', value: 1 },
        { key: 'no', value: 0 },
      ]);
    });

    it('accepts exactly 30 keys, refuses a 31st (in one request or across requests)', async () => {
      await create('quinn');
      const who = { customerUserId: 'quinn' };
      const thirtyOne = Array.from({ length: 31 }, (_, i) => ({ key: `k${i}`, value: i }));
      const tooMany = await patch(who, { custom_attributes: thirtyOne });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body).toEqual(validation('custom_attributes', 'A profile can have at most 30 custom attributes.'));
      expect((await get(who)).body.data.custom_attributes).toEqual([]);

      const thirty = await patch(who, { custom_attributes: thirtyOne.slice(0, 30) });
      expect(thirty.status).toBe(200);
      expect(thirty.body.data.custom_attributes).toHaveLength(30);

      const oneMore = await patch(who, { custom_attributes: [{ key: 'extra', value: 'x' }] });
      expect(oneMore.status).toBe(400);
      expect(oneMore.body).toEqual(validation('custom_attributes', 'A profile can have at most 30 custom attributes.'));
      expect((await get(who)).body.data.custom_attributes).toEqual(thirty.body.data.custom_attributes);

      // Replacing one key with another in the same request stays within the limit.
      const swap = await patch(who, { custom_attributes: [{ key: 'k0', value: null }, { key: 'extra', value: 'x' }] });
      expect(swap.status).toBe(200);
      expect(swap.body.data.custom_attributes).toHaveLength(30);
      expect(swap.body.data.custom_attributes.map((a: { key: string }) => a.key)).not.toContain('k0');
      expect(swap.body.data.custom_attributes.at(-1)).toEqual({ key: 'extra', value: 'x' });
    });

    it('refuses more than 30 keys on create as well', async () => {
      const r = await create('quinn-2', { custom_attributes: Array.from({ length: 31 }, (_, i) => ({ key: `k${i}`, value: 'v' })) });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(validation('custom_attributes', 'A profile can have at most 30 custom attributes.'));
      expect((await get({ customerUserId: 'quinn-2' })).status).toBe(404);
    });

    const KEY_MESSAGE = 'key must be 1 to 30 characters: letters, numbers, dashes, points and underscores only.';
    it.each([
      ['a key with a space', [{ key: 'bad key', value: 'v' }], KEY_MESSAGE],
      ['a key with a slash', [{ key: 'a/b', value: 'v' }], KEY_MESSAGE],
      ['a non-ASCII key', [{ key: 'clé', value: 'v' }], KEY_MESSAGE],
      ['an empty key', [{ key: '', value: 'v' }], KEY_MESSAGE],
      ['a 31-character key', [{ key: 'k'.repeat(31), value: 'v' }], KEY_MESSAGE],
      ['a numeric key', [{ key: 7, value: 'v' }], KEY_MESSAGE],
      ['a missing key', [{ value: 'v' }], KEY_MESSAGE],
      ['a 51-character value', [{ key: 'long', value: 'v'.repeat(51) }], 'value of long must be at most 50 characters.'],
      ['an object value', [{ key: 'obj', value: { a: 1 } }], 'value of obj must be a string or a number.'],
      ['an array value', [{ key: 'arr', value: [1] }], 'value of arr must be a string or a number.'],
      ['an item that is not an object', ['plain'], 'Each item must be an object with key and value.'],
      ['an empty list', [], 'custom_attributes must contain at least one key/value pair.'],
    ])('refuses %s, changing nothing', async (_label, customAttributes, message) => {
      const who = { customerUserId: 'rita' };
      await create('rita', { custom_attributes: [{ key: 'keep', value: 'me' }] });
      const r = await patch(who, { custom_attributes: customAttributes });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(validation('custom_attributes', message));
      expect((await get(who)).body.data.custom_attributes).toEqual([{ key: 'keep', value: 'me' }]);
    });

    it('refuses custom_attributes that is not a list', async () => {
      await create('sam');
      const r = await patch({ customerUserId: 'sam' }, { custom_attributes: { color: 'red' } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(validation('custom_attributes', 'custom_attributes must be an array'));
    });

    it('accepts a 30-character key and a 50-character value', async () => {
      await create('tina');
      const r = await patch({ customerUserId: 'tina' }, { custom_attributes: [{ key: 'K'.repeat(30), value: 'v'.repeat(50) }] });
      expect(r.status).toBe(200);
      expect(r.body.data.custom_attributes).toEqual([{ key: 'K'.repeat(30), value: 'v'.repeat(50) }]);
    });

    it('accepts keys with dashes, points and underscores', async () => {
      await create('uma');
      const r = await patch({ customerUserId: 'uma' }, { custom_attributes: [{ key: 'a-b.c_D9', value: 'ok' }] });
      expect(r.status).toBe(200);
      expect(r.body.data.custom_attributes).toEqual([{ key: 'a-b.c_D9', value: 'ok' }]);
    });

    it('PATCH of an unknown profile is 404', async () => {
      const r = await patch({ customerUserId: 'ghost' }, { custom_attributes: [{ key: 'a', value: 'b' }] });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(envelope(404, 'profile_does_not_exist', null, 'Profile not found'));
    });
  });

  describe('delete', () => {
    it('deletes with 204 and no body; then GET, PATCH and DELETE are 404', async () => {
      const created = await create('victor', { custom_attributes: [{ key: 'a', value: 'b' }] });
      const profileId = created.body.data.profile_id;
      const r = await call(ledger.url, { method: 'DELETE', path: PROFILE, customerUserId: 'victor' });
      expect(r.status).toBe(204);
      expect(r.body).toBeNull();
      const notFound = envelope(404, 'profile_does_not_exist', null, 'Profile not found');
      for (const who of [{ customerUserId: 'victor' }, { profileId }]) {
        const g = await get(who);
        expect(g.status).toBe(404);
        expect(g.body).toEqual(notFound);
        const p = await patch(who, { first_name: 'V' });
        expect(p.status).toBe(404);
        expect(p.body).toEqual(notFound);
        const d = await call(ledger.url, { method: 'DELETE', path: PROFILE, ...who });
        expect(d.status).toBe(404);
        expect(d.body).toEqual(notFound);
      }
    });

    it('deletes by adapty-profile-id; the customer_user_id can then make a new, empty profile', async () => {
      const created = await create('wendy', { custom_attributes: [{ key: 'a', value: 'b' }] });
      const profileId = created.body.data.profile_id;
      expect((await call(ledger.url, { method: 'DELETE', path: PROFILE, profileId })).status).toBe(204);
      const again = await create('wendy');
      expect(again.status).toBe(200);
      expect(again.body.data.profile_id).not.toBe(profileId);
      expect(again.body.data.custom_attributes).toEqual([]);
      expect((await get({ profileId })).status).toBe(404);
      expect((await get({ customerUserId: 'wendy' })).body.data.profile_id).toBe(again.body.data.profile_id);
    });

    it('deleting one profile leaves the others alone', async () => {
      const keep = await create('xena');
      await create('yuri');
      expect((await call(ledger.url, { method: 'DELETE', path: PROFILE, customerUserId: 'yuri' })).status).toBe(204);
      const still = await get({ customerUserId: 'xena' });
      expect(still.status).toBe(200);
      expect(withoutTimestamp(still)).toEqual(withoutTimestamp(keep));
    });
  });

  describe('trailing slash', () => {
    const NO_SLASH = `${V2}/profile`;
    it('every profile method works without the trailing slash', async () => {
      const created = await call(ledger.url, { method: 'POST', path: NO_SLASH, customerUserId: 'zed', body: {} });
      expect(created.status).toBe(200);
      const read = await call(ledger.url, { path: NO_SLASH, customerUserId: 'zed' });
      expect(read.status).toBe(200);
      expect(read.body.data.profile_id).toBe(created.body.data.profile_id);
      const patched = await call(ledger.url, {
        method: 'PATCH',
        path: NO_SLASH,
        customerUserId: 'zed',
        body: { custom_attributes: [{ key: 'slash', value: 'none' }] },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.data.custom_attributes).toEqual([{ key: 'slash', value: 'none' }]);
      // And the slashed form sees the same profile.
      const slashed = await call(ledger.url, { path: PROFILE, customerUserId: 'zed' });
      expect(withoutTimestamp(slashed)).toEqual(withoutTimestamp(patched));
      const deleted = await call(ledger.url, { method: 'DELETE', path: NO_SLASH, customerUserId: 'zed' });
      expect(deleted.status).toBe(204);
      expect((await call(ledger.url, { path: PROFILE, customerUserId: 'zed' })).status).toBe(404);
    });
  });
});
