import {
  createProfile,
  DAY,
  declareCatalogue,
  envelope,
  getProfile,
  GRANT,
  GRANT_ALIAS,
  HOUR,
  MIN,
  REVOKE,
  SET,
  subscriptionBody,
  UUID,
  v2AccessLevel,
  v2Date,
  wholeSecond,
} from './support/fixtures';
import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';

/** Grant and revoke over real HTTP (contract §2.4, §2.5; event-semantics.md "Grants and revokes"). */
describe('grant and revoke access levels', () => {
  let ledger: RunningLedger;
  const API_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;

  const at = (offset: number) => wholeSecond(ledger.clock, offset);
  /** Python's str(datetime) of an instant on a whole second, as in Adapty's revoke message. */
  const py = (iso: string) => iso.replace('T', ' ').replace(/\.000Z$/, '+00:00');

  let seq = 0;
  const newUser = async () => {
    const id = `al-user-${++seq}`;
    const data = await createProfile(ledger.url, id);
    return { id, profileId: data.profile_id as string };
  };
  const get = (customerUserId: string) => getProfile(ledger.url, customerUserId);
  const grant = (customerUserId: string, body: unknown, path = GRANT) => call(ledger.url, { method: 'POST', path, customerUserId, body });
  const revoke = (customerUserId: string, body: unknown) => call(ledger.url, { method: 'POST', path: REVOKE, customerUserId, body });
  const levelIds = (data: { access_levels: Array<{ access_level_id: string }> }) => data.access_levels.map((a) => a.access_level_id).sort();

  /** The access level a grant shows. */
  const granted = (o: Record<string, unknown>) =>
    v2AccessLevel({
      store: 'adapty',
      store_product_id: 'adapty_server_side_product',
      store_transaction_id: expect.stringMatching(UUID),
      store_original_transaction_id: expect.stringMatching(UUID),
      purchased_at: expect.stringMatching(API_DATE),
      originally_purchased_at: expect.stringMatching(API_DATE),
      ...o,
    });

  beforeAll(async () => {
    ledger = await startLedger();
    await declareCatalogue(ledger.url, { levels: ['gold', 'silver'], products: { 'gold.monthly': 'gold' } });
  });
  afterAll(() => ledger.close());

  describe('grant', () => {
    it('an immediate grant with no dates is lifetime access from now', async () => {
      const user = await newUser();
      const before = ledger.clock.now().getTime();
      const r = await grant(user.id, { access_level_id: 'premium' });
      const after = ledger.clock.now().getTime();
      expect(r.status).toBe(200);
      const level = r.body.data.access_levels;
      expect(level).toEqual([granted({})]);
      expect(level[0].store_original_transaction_id).toBe(level[0].store_transaction_id);
      const purchased = Date.parse(level[0].purchased_at);
      expect(purchased).toBeGreaterThanOrEqual(before);
      expect(purchased).toBeLessThanOrEqual(after);
      expect(level[0].originally_purchased_at).toBe(level[0].purchased_at);
      // Grants are not analytics: no subscription, no revenue.
      expect(r.body.data.subscriptions).toEqual([]);
      expect(r.body.data.non_subscriptions).toEqual([]);
      expect(r.body.data.total_revenue_usd).toBe(0);
      expect((await get(user.id)).access_levels).toEqual(level);
    });

    it('a grant with expires_at lasts until then', async () => {
      const user = await newUser();
      const expires = at(HOUR);
      const r = await grant(user.id, { access_level_id: 'gold', expires_at: expires });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([granted({ access_level_id: 'gold', expires_at: v2Date(expires) })]);
      ledger.clock.advance(HOUR - MIN);
      expect(levelIds(await get(user.id))).toEqual(['gold']);
      ledger.clock.advance(2 * MIN);
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('expires_at null is lifetime', async () => {
      const user = await newUser();
      const r = await grant(user.id, { access_level_id: 'silver', starts_at: null, expires_at: null });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([granted({ access_level_id: 'silver' })]);
      ledger.clock.advance(3650 * DAY);
      expect(levelIds(await get(user.id))).toEqual(['silver']);
    });

    it('a grant with a future starts_at is shown with its dates, and active from then until expires_at', async () => {
      const user = await newUser();
      const starts = at(DAY);
      const expires = at(2 * DAY);
      const r = await grant(user.id, { access_level_id: 'premium', starts_at: starts, expires_at: expires });
      expect(r.status).toBe(200);
      const scheduled = granted({ starts_at: v2Date(starts), purchased_at: v2Date(starts), originally_purchased_at: v2Date(starts), expires_at: v2Date(expires) });
      expect(r.body.data.access_levels).toEqual([scheduled]);
      ledger.clock.advance(DAY + MIN);
      expect((await get(user.id)).access_levels).toEqual([scheduled]);
      ledger.clock.advance(DAY);
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('a lifetime grant with a starts_at in the past is active now', async () => {
      const user = await newUser();
      const starts = at(-DAY);
      const r = await grant(user.id, { access_level_id: 'premium', starts_at: starts });
      expect(r.body.data.access_levels).toEqual([
        granted({ starts_at: v2Date(starts), purchased_at: v2Date(starts), originally_purchased_at: v2Date(starts) }),
      ]);
    });

    it('a grant wholly in the past leaves no access', async () => {
      const user = await newUser();
      const r = await grant(user.id, { access_level_id: 'premium', starts_at: at(-2 * DAY), expires_at: at(-DAY) });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([]);
    });

    it('expires_at may be in the past without starts_at (contract §2.4): accepted, no access', async () => {
      const user = await newUser();
      const r = await grant(user.id, { access_level_id: 'premium', expires_at: at(-DAY) });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([]);
    });

    it('the alias path /grant/access-level/ works the same', async () => {
      const user = await newUser();
      const r = await grant(user.id, { access_level_id: 'premium' }, GRANT_ALIAS);
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([granted({})]);
      const noSlash = await grant(user.id, { access_level_id: 'gold' }, `${V2}/grant/access-level`);
      expect(noSlash.status).toBe(200);
      expect(levelIds(noSlash.body.data)).toEqual(['gold', 'premium']);
    });

    it('works by adapty-profile-id', async () => {
      const user = await newUser();
      const r = await call(ledger.url, { method: 'POST', path: GRANT, profileId: user.profileId, body: { access_level_id: 'premium' } });
      expect(r.status).toBe(200);
      expect(r.body.data.profile_id).toBe(user.profileId);
      expect(levelIds(r.body.data)).toEqual(['premium']);
    });

    it('a grant of an undeclared level is 400 paid_access_level_does_not_exist', async () => {
      const user = await newUser();
      const r = await grant(user.id, { access_level_id: 'platinum' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `platinum` does not exist'));
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('a grant to an unknown profile is 400 profile_does_not_exist', async () => {
      const r = await grant('nobody', { access_level_id: 'premium' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found'));
    });

    it('expires_at not after starts_at is refused', async () => {
      const user = await newUser();
      const starts = at(DAY);
      const r = await grant(user.id, { access_level_id: 'premium', starts_at: starts, expires_at: starts });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'validation_error', 'expires_at', 'expires_at must be later than starts_at.'));
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('refuses a body without access_level_id or with bad dates', async () => {
      const user = await newUser();
      for (const [body, source] of [
        [{}, 'access_level_id'],
        [{ access_level_id: '' }, 'access_level_id'],
        [{ access_level_id: 5 }, 'access_level_id'],
        [{ access_level_id: 'premium', starts_at: 'tomorrow' }, 'starts_at'],
        [{ access_level_id: 'premium', expires_at: 1767225600 }, 'expires_at'],
        [{ access_level_id: 'premium', expires_at: '2026-02-30T00:00:00Z' }, 'expires_at'],
      ] as const) {
        const r = await grant(user.id, body);
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('validation_error');
        expect(r.body.errors[0].source).toBe(source);
      }
      expect((await get(user.id)).access_levels).toEqual([]);
    });
  });

  describe('revoke', () => {
    it('revoke now removes a granted level', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium' });
      const r = await revoke(user.id, { access_level_id: 'premium' });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([]);
      expect((await get(user.id)).access_levels).toEqual([]);
      // revoke_at null is the same as omitting it.
      await grant(user.id, { access_level_id: 'premium' });
      const nullRevoke = await revoke(user.id, { access_level_id: 'premium', revoke_at: null });
      expect(nullRevoke.status).toBe(200);
      expect(nullRevoke.body.data.access_levels).toEqual([]);
    });

    it('revoke only touches the named level', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium' });
      await grant(user.id, { access_level_id: 'gold' });
      const r = await revoke(user.id, { access_level_id: 'gold' });
      expect(levelIds(r.body.data)).toEqual(['premium']);
    });

    it('revoke ends access that came from a subscription, whatever its sources; a later grant gives it back', async () => {
      const user = await newUser();
      const body = subscriptionBody(ledger.clock, {
        store_product_id: 'gold.monthly',
        store_transaction_id: 'g-1',
        store_original_transaction_id: 'g-1',
        price: { country: 'US', currency: 'USD', value: 5 },
      });
      const set = await call(ledger.url, { method: 'POST', path: SET, customerUserId: user.id, body });
      expect(levelIds(set.body.data)).toEqual(['gold']);
      await grant(user.id, { access_level_id: 'gold', expires_at: at(10 * DAY) });
      const r = await revoke(user.id, { access_level_id: 'gold' });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([]);
      // The history and revenue stay.
      expect(r.body.data.subscriptions).toHaveLength(1);
      expect(r.body.data.total_revenue_usd).toBe(5);
      const again = await grant(user.id, { access_level_id: 'gold' });
      expect(again.body.data.access_levels).toEqual([granted({ access_level_id: 'gold' })]);
    });

    it('revoke_at in the future keeps access until then, shown as the new expires_at', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium', expires_at: at(10 * DAY) });
      const revokeAt = at(DAY);
      const r = await revoke(user.id, { access_level_id: 'premium', revoke_at: revokeAt });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([granted({ expires_at: v2Date(revokeAt) })]);
      ledger.clock.advance(DAY - MIN);
      expect((await get(user.id)).access_levels).toEqual([granted({ expires_at: v2Date(revokeAt) })]);
      ledger.clock.advance(2 * MIN);
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('revoke_at on a lifetime grant ends it then', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'silver' });
      const revokeAt = at(HOUR);
      const r = await revoke(user.id, { access_level_id: 'silver', revoke_at: revokeAt });
      expect(r.body.data.access_levels).toEqual([granted({ access_level_id: 'silver', expires_at: v2Date(revokeAt) })]);
      ledger.clock.advance(HOUR + MIN);
      expect((await get(user.id)).access_levels).toEqual([]);
    });

    it('revoking a level the profile does not have is 400 profile_paid_access_level_does_not_exist', async () => {
      const user = await newUser();
      const r = await revoke(user.id, { access_level_id: 'premium' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(
        envelope(400, 'profile_paid_access_level_does_not_exist', 'non_field_errors', `Profile \`${user.profileId}\` has no \`premium\` access level`),
      );
      // Nor once it has been revoked.
      await grant(user.id, { access_level_id: 'premium' });
      await revoke(user.id, { access_level_id: 'premium' });
      expect((await revoke(user.id, { access_level_id: 'premium' })).body.error_code).toBe('profile_paid_access_level_does_not_exist');
    });

    it('revoking an undeclared level is 400 paid_access_level_does_not_exist', async () => {
      const user = await newUser();
      const r = await revoke(user.id, { access_level_id: 'platinum' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'paid_access_level_does_not_exist', 'non_field_errors', 'Paid access level `platinum` does not exist'));
    });

    it('revoke_at in the past or now is 400 value_error', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium' });
      for (const revokeAt of [at(-MIN), at(-365 * DAY)]) {
        const r = await revoke(user.id, { access_level_id: 'premium', revoke_at: revokeAt });
        expect(r.status).toBe(400);
        expect(r.body).toEqual(envelope(400, 'value_error', null, 'Must be greater than the current time or null'));
      }
      expect(levelIds(await get(user.id))).toEqual(['premium']);
    });

    it('revoke_at after the current expires_at is 400 revocation_date_more_than_expiration_date', async () => {
      const user = await newUser();
      const expires = at(DAY);
      await grant(user.id, { access_level_id: 'premium', expires_at: expires });
      const revokeAt = at(2 * DAY);
      const r = await revoke(user.id, { access_level_id: 'premium', revoke_at: revokeAt });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(
        envelope(400, 'revocation_date_more_than_expiration_date', 'revoke_at', `Revocation date (${py(revokeAt)}) is more than current expiration date (${py(expires)})`),
      );
      expect((await get(user.id)).access_levels).toEqual([granted({ expires_at: v2Date(expires) })]);
    });

    it('revoke on an unknown profile is 400 profile_does_not_exist', async () => {
      const r = await revoke('nobody', { access_level_id: 'premium' });
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'profile_does_not_exist', 'non_field_errors', 'Profile not found'));
    });

    it('refuses a revoke body without access_level_id or with a bad revoke_at', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium' });
      for (const [body, source] of [
        [{}, 'access_level_id'],
        [{ access_level_id: 'premium', revoke_at: 'soon' }, 'revoke_at'],
        [{ access_level_id: 'premium', revoke_at: true }, 'revoke_at'],
      ] as const) {
        const r = await revoke(user.id, body);
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('validation_error');
        expect(r.body.errors[0].source).toBe(source);
      }
      expect(levelIds(await get(user.id))).toEqual(['premium']);
    });

    it('works on the path without a trailing slash', async () => {
      const user = await newUser();
      await grant(user.id, { access_level_id: 'premium' });
      const r = await call(ledger.url, { method: 'POST', path: REVOKE.slice(0, -1), customerUserId: user.id, body: { access_level_id: 'premium' } });
      expect(r.status).toBe(200);
      expect(r.body.data.access_levels).toEqual([]);
    });
  });
});
