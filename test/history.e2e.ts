import fc from 'fast-check';
import { ProfileEvent } from '../src/domain/profile/profile.events';
import { foldProfile } from '../src/domain/profile/profile.state';
import { renderProfileV2 } from '../src/http/presenters/profile-v2.presenter';
import { toReadModel } from '../src/projections/profiles/profile-view';
import { call, KEYS, RunningLedger, startLedger, V2 } from './support/ledger-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit replay: history and status as of an instant', () => {
  let ledger: RunningLedger;
  beforeAll(async () => {
    ledger = await startLedger();
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/monthly', body: { access_level_id: 'premium' } });
  });
  afterAll(() => ledger.close());

  const post = (user: string, path: string, body: unknown) => call(ledger.url, { method: 'POST', path: `${V2}${path}`, customerUserId: user, body });

  async function fullHistory(user: string, limit: number) {
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=${limit}&cursor=${cursor}` : `?limit=${limit}`;
      const page = await call(ledger.url, { path: `${V2}/profile/history/${q}`, customerUserId: user });
      expect(page.status).toBe(200);
      events.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return events;
  }

  it('lists every event of a profile in commit order, with source and app id, paged', async () => {
    await post('hist-1', '/profile/', { first_name: 'Ada' });
    await post('hist-1', '/purchase/profile/grant/access-level/', { access_level_id: 'premium' });
    await call(ledger.url, { method: 'PATCH', path: `${V2}/profile/`, customerUserId: 'hist-1', body: { custom_attributes: [{ key: 'k', value: 'v' }] } });
    await post('hist-1', '/purchase/profile/revoke/access-level/', { access_level_id: 'premium' });
    // The revoke ends the access now, so the expiry scheduler records its end within a poll: wait
    // for it, or it could land between the two readings compared below.
    let all = await fullHistory('hist-1', 1000);
    for (let i = 0; i < 100 && all.length < 5; i++) {
      await sleep(50);
      all = await fullHistory('hist-1', 1000);
    }
    expect(all.map((e) => e.type)).toEqual(['ProfileCreated', 'AccessGranted', 'AttributesUpdated', 'AccessRevoked', 'SourceExpired']);
    expect(all.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
    expect(all[1].source).toEqual({ source: 'api.v2.grant_access_level', app_id: 'app1' });
    expect(all[4].source).toEqual({ source: 'scheduler.expiry', app_id: 'app1' });
    expect(JSON.stringify(all)).not.toContain(KEYS.app1);
    expect(new Date(all[0].recorded_at).toISOString()).toBe(all[0].recorded_at);
    expect(await fullHistory('hist-1', 1)).toEqual(all);
    const bad = await call(ledger.url, { path: `${V2}/profile/history/?limit=0`, customerUserId: 'hist-1' });
    expect(bad.status).toBe(400);
    const badCursor = await call(ledger.url, { path: `${V2}/profile/history/?cursor=zzz`, customerUserId: 'hist-1' });
    expect(badCursor.status).toBe(400);
    const otherApp = await call(ledger.url, { path: `${V2}/profile/history/`, customerUserId: 'hist-1', key: KEYS.app2 });
    expect(otherApp.status).toBe(404);
  });

  it('answers as_of: 404 before the profile existed, 400 for a non-date, the past state otherwise', async () => {
    const before = new Date().toISOString();
    await sleep(5);
    await post('hist-2', '/profile/', {});
    await sleep(5);
    const afterCreate = new Date().toISOString();
    await sleep(5);
    await post('hist-2', '/purchase/profile/grant/access-level/', { access_level_id: 'premium' });
    const early = await call(ledger.url, { path: `${V2}/profile/?as_of=${before}`, customerUserId: 'hist-2' });
    expect(early.status).toBe(404);
    expect(early.body.error_code).toBe('profile_does_not_exist');
    const notDate = await call(ledger.url, { path: `${V2}/profile/?as_of=yesterday`, customerUserId: 'hist-2' });
    expect(notDate.status).toBe(400);
    expect(notDate.body.errors[0].source).toBe('as_of');
    const past = await call(ledger.url, { path: `${V2}/profile/?as_of=${afterCreate}`, customerUserId: 'hist-2' });
    expect(past.status).toBe(200);
    expect(past.body.data.access_levels).toEqual([]);
    const now = await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'hist-2' });
    expect(now.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['premium']);
  });

  it('erases history on delete', async () => {
    await post('hist-3', '/profile/', {});
    await post('hist-3', '/purchase/profile/grant/access-level/', { access_level_id: 'premium' });
    const profileId = (await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'hist-3' })).body.data.profile_id;
    expect((await call(ledger.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: 'hist-3' })).status).toBe(204);
    expect((await call(ledger.url, { path: `${V2}/profile/history/`, customerUserId: 'hist-3' })).status).toBe(404);
    expect((await call(ledger.url, { path: `${V2}/profile/history/`, profileId })).status).toBe(404);
  });

  type Step =
    | { kind: 'grant'; days: number | null }
    | { kind: 'revoke' }
    | { kind: 'tx'; id: number; renew: boolean; refund: boolean; days: number }
    | { kind: 'attr'; key: string; value: string | null };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('grant' as const), days: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }) }),
    fc.record({ kind: fc.constant('revoke' as const) }),
    fc.record({
      kind: fc.constant('tx' as const),
      id: fc.integer({ min: 1, max: 3 }),
      renew: fc.boolean(),
      refund: fc.boolean(),
      days: fc.integer({ min: -20, max: 20 }),
    }),
    fc.record({ kind: fc.constant('attr' as const), key: fc.constantFrom('a', 'b', 'c'), value: fc.option(fc.constantFrom('x', 'y'), { nil: null }) }),
  );

  it('as_of at every event equals a fold of the events recorded up to that instant (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const user = `prop-${run++}`;
        await post(user, '/profile/', {});
        const base = Date.now();
        for (const s of steps) {
          await sleep(2);
          if (s.kind === 'grant') {
            const expires = s.days === null ? null : new Date(base + s.days * 86_400_000).toISOString();
            await post(user, '/purchase/profile/grant/access-level/', { access_level_id: 'premium', expires_at: expires });
          } else if (s.kind === 'revoke') {
            await post(user, '/purchase/profile/revoke/access-level/', { access_level_id: 'premium' });
          } else if (s.kind === 'tx') {
            const purchased = base - 30 * 86_400_000;
            await post(user, '/purchase/set/transaction/', {
              purchase_type: 'subscription',
              store: 'stripe',
              store_product_id: 'monthly',
              store_transaction_id: `t${s.id}`,
              store_original_transaction_id: 'chain',
              price: { country: 'US', currency: 'USD', value: 5 },
              purchased_at: new Date(purchased + s.id * 1000).toISOString(),
              originally_purchased_at: new Date(purchased).toISOString(),
              expires_at: new Date(base + s.days * 86_400_000 + 5000).toISOString(),
              renew_status: s.renew,
              ...(s.refund ? { refunded_at: new Date(base - 1000).toISOString(), cancellation_reason: 'refund' } : {}),
            });
          } else {
            await call(ledger.url, { method: 'PATCH', path: `${V2}/profile/`, customerUserId: user, body: { custom_attributes: [{ key: s.key, value: s.value }] } });
          }
        }
        const history = await fullHistory(user, 3);
        for (const e of history) {
          const instant = e.recorded_at as string;
          const upTo = history.filter((h) => h.recorded_at <= instant).map((h) => ({ type: h.type, data: h.data }) as ProfileEvent);
          const expected = renderProfileV2(toReadModel(foldProfile(upTo)), Date.parse(instant));
          const got = await call(ledger.url, { path: `${V2}/profile/?as_of=${instant}`, customerUserId: user });
          expect(got.status).toBe(200);
          expect(got.body.data).toEqual(expected);
        }
      }),
      { numRuns: 15 },
    );
  });
});
