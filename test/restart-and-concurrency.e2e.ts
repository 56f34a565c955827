import { DAY, envelope, GRANT, HOUR, oneTimeBody, PROFILE, REVOKE, SET, subscriptionBody, wholeSecond, withoutTimestamp } from './support/fixtures';
import { call, KEYS, Reply, RunningLedger, startLedger, TestClock } from './support/ledger-server';

/** Stop the server, start a new one on the same files: everything reads back the same. */
describe('restart', () => {
  let ledger: RunningLedger;
  const clock = new TestClock();
  const at = (offset: number) => wholeSecond(clock, offset);
  const users = ['r-subscriber', 'r-granted', 'r-attrs', 'r-refunded', 'r-app2'];
  const reads: Array<{ who: { customerUserId?: string; profileId?: string }; key: string }> = [];

  beforeAll(async () => {
    ledger = await startLedger({ clock });
  });
  afterAll(() => ledger.close());

  it('keeps profiles, history, access, attributes, catalogue, scheduled revokes and deletions across a restart', async () => {
    const u = ledger.url;
    const ok = async (p: Promise<Reply>, status = 200) => {
      const r = await p;
      if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
      return r;
    };
    await ok(call(u, { method: 'PUT', path: '/admin/v1/access-levels/gold' }));
    await ok(call(u, { method: 'PUT', path: '/admin/v1/products/gold.monthly', body: { access_level_id: 'gold' } }));
    await ok(call(u, { method: 'PUT', path: '/admin/v1/products/premium.yearly', body: { access_level_id: 'premium' } }));
    for (const id of users.slice(0, 4)) await ok(call(u, { method: 'POST', path: PROFILE, customerUserId: id, body: {} }));
    await ok(call(u, { method: 'POST', path: PROFILE, customerUserId: 'r-app2', key: KEYS.app2, body: { custom_attributes: [{ key: 'app', value: 2 }] } }));

    const sub = (o: Record<string, unknown>) =>
      subscriptionBody(clock, { store_product_id: 'gold.monthly', price: { country: 'US', currency: 'USD', value: 4.99 }, ...o });
    await ok(call(u, { method: 'POST', path: SET, customerUserId: 'r-subscriber', body: sub({ store_transaction_id: 's1', store_original_transaction_id: 's1', purchased_at: at(-31 * DAY), originally_purchased_at: at(-31 * DAY), expires_at: at(-DAY) }) }));
    await ok(call(u, { method: 'POST', path: SET, customerUserId: 'r-subscriber', body: sub({ store_transaction_id: 's2', store_original_transaction_id: 's1', originally_purchased_at: at(-31 * DAY), renew_status: false, renew_status_changed_at: at(-HOUR) }) }));
    await ok(call(u, { method: 'POST', path: SET, customerUserId: 'r-subscriber', body: sub({ store_product_id: 'premium.yearly', store_transaction_id: 'y1', store_original_transaction_id: 'y1', expires_at: at(364 * DAY), billing_issue_detected_at: at(-HOUR), environment: 'Sandbox', offer: { category: 'promotional', type: 'pay_up_front', id: 'promo-1' } }) }));
    await ok(call(u, { method: 'POST', path: SET, customerUserId: 'r-subscriber', body: oneTimeBody(clock, { store_product_id: 'coins', store_transaction_id: 'o1', store_original_transaction_id: 'o1', price: { country: 'US', currency: 'USD', value: 0.99 }, purchased_at: at(-HOUR) }) }));
    await ok(call(u, { method: 'POST', path: GRANT, customerUserId: 'r-granted', body: { access_level_id: 'premium' } }));
    await ok(call(u, { method: 'POST', path: GRANT, customerUserId: 'r-granted', body: { access_level_id: 'gold', starts_at: at(DAY), expires_at: at(2 * DAY) } }));
    await ok(call(u, { method: 'POST', path: REVOKE, customerUserId: 'r-granted', body: { access_level_id: 'premium', revoke_at: at(3 * DAY) } }));
    await ok(call(u, { method: 'PATCH', path: PROFILE, customerUserId: 'r-attrs', body: { gender: 'o', custom_attributes: [{ key: 'a', value: 'x' }, { key: 'b', value: 2 }, { key: 'c', value: 'gone' }] } }));
    await ok(call(u, { method: 'PATCH', path: PROFILE, customerUserId: 'r-attrs', body: { custom_attributes: [{ key: 'c', value: null }, { key: 'a', value: 'y' }] } }));
    await ok(call(u, { method: 'POST', path: SET, customerUserId: 'r-refunded', body: sub({ store_transaction_id: 'f1', store_original_transaction_id: 'f1', refunded_at: at(-HOUR), cancellation_reason: 'refund' }) }));
    // A deleted profile, and a customer_user_id moved to another profile.
    await ok(call(u, { method: 'POST', path: PROFILE, customerUserId: 'r-deleted', body: {} }));
    const deletedId = (await call(u, { path: PROFILE, customerUserId: 'r-deleted' })).body.data.profile_id;
    await ok(call(u, { method: 'DELETE', path: PROFILE, customerUserId: 'r-deleted' }), 204);
    const moved = await ok(call(u, { method: 'POST', path: PROFILE, customerUserId: 'r-moved-from', body: {} }));
    await ok(call(u, { method: 'POST', path: PROFILE, profileId: moved.body.data.profile_id, customerUserId: 'r-moved-to', body: {} }));

    for (const id of users.slice(0, 4)) reads.push({ who: { customerUserId: id }, key: KEYS.app1 });
    reads.push({ who: { customerUserId: 'r-app2' }, key: KEYS.app2 });
    reads.push({ who: { customerUserId: 'r-moved-to' }, key: KEYS.app1 });
    const profileIds: string[] = [];
    for (const r of [...reads]) {
      const got = await call(u, { path: PROFILE, ...r.who, key: r.key });
      profileIds.push(got.body.data.profile_id);
    }
    reads.push(...profileIds.map((profileId, i) => ({ who: { profileId }, key: reads[i].key })));

    const readAll = async (base: string) => {
      const out: unknown[] = [];
      for (const r of reads) out.push(withoutTimestamp(await call(base, { path: PROFILE, ...r.who, key: r.key })));
      for (const key of [KEYS.app1, KEYS.app2]) {
        out.push((await call(base, { path: '/admin/v1/access-levels', key })).body);
        out.push((await call(base, { path: '/admin/v1/products', key })).body);
      }
      return out;
    };
    const before = await readAll(u);
    // Sanity: the state is not trivial.
    const subscriber = before[0] as { access_levels: unknown[]; subscriptions: unknown[]; non_subscriptions: unknown[]; total_revenue_usd: number };
    expect(subscriber.access_levels).toHaveLength(2);
    expect(subscriber.subscriptions).toHaveLength(2);
    expect(subscriber.non_subscriptions).toHaveLength(1);
    expect(subscriber.total_revenue_usd).toBe(15.96);

    const dir = ledger.dir;
    await ledger.stop();
    ledger = await startLedger({ dir, clock });

    expect(await readAll(ledger.url)).toEqual(before);
    // Deleted stays deleted, a moved customer_user_id stays moved.
    expect((await call(ledger.url, { path: PROFILE, profileId: deletedId })).status).toBe(404);
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'r-deleted' })).status).toBe(404);
    expect((await call(ledger.url, { path: PROFILE, customerUserId: 'r-moved-from' })).status).toBe(404);

    // Writes after the restart see the old state: same profile for the same customer_user_id, revenue adds up.
    const again = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'r-subscriber', body: {} });
    expect(again.body.data.profile_id).toBe(profileIds[0]);
    const renewed = await call(ledger.url, {
      method: 'POST',
      path: SET,
      customerUserId: 'r-subscriber',
      body: sub({ store_transaction_id: 's2', store_original_transaction_id: 's1', originally_purchased_at: at(-31 * DAY), renew_status: false, renew_status_changed_at: at(-HOUR) }),
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body.data.total_revenue_usd).toBe(15.96);
    const attrs = await call(ledger.url, { method: 'PATCH', path: PROFILE, customerUserId: 'r-attrs', body: { custom_attributes: [{ key: 'd', value: 'new' }] } });
    expect(attrs.body.data.custom_attributes).toEqual([
      { key: 'a', value: 'y' },
      { key: 'b', value: 2 },
      { key: 'd', value: 'new' },
    ]);
    // A re-created r-deleted is a new profile.
    const recreated = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'r-deleted', body: {} });
    expect(recreated.status).toBe(200);
    expect(recreated.body.data.profile_id).not.toBe(deletedId);

    // Time-dependent state keeps working after the restart: the scheduled revoke ends premium.
    clock.advance(3 * DAY + HOUR);
    const granted = await call(ledger.url, { path: PROFILE, customerUserId: 'r-granted' });
    expect(granted.body.data.access_levels).toEqual([]);
  });

  it('a second restart in a row still reads the same', async () => {
    const before: unknown[] = [];
    for (const r of reads) before.push(withoutTimestamp(await call(ledger.url, { path: PROFILE, ...r.who, key: r.key })));
    const dir = ledger.dir;
    await ledger.stop();
    ledger = await startLedger({ dir, clock });
    const after: unknown[] = [];
    for (const r of reads) after.push(withoutTimestamp(await call(ledger.url, { path: PROFILE, ...r.who, key: r.key })));
    expect(after).toEqual(before);
  });
});

/** Parallel requests on one customer or one profile: one answer for creates, nothing lost for writes. */
describe('concurrency', () => {
  let ledger: RunningLedger;
  const at = (offset: number) => wholeSecond(ledger.clock, offset);

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  it('20 parallel creates of one customer_user_id make one profile, the same in all 20 answers', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'racer', body: {} })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const ids = new Set(replies.map((r) => r.body.data.profile_id));
    expect(ids.size).toBe(1);
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'racer' });
    expect(read.body.data.profile_id).toBe([...ids][0]);
  });

  it('20 parallel creates with different customer_user_ids make 20 profiles', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: `many-${i}`, body: {} })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(replies.map((r) => r.body.data.profile_id)).size).toBe(20);
    for (let i = 0; i < 20; i++) expect(replies[i].body.data.customer_user_id).toBe(`many-${i}`);
  });

  it('the same customer_user_id created in parallel in two apps makes one profile per app', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'both-apps', key: i % 2 ? KEYS.app2 : KEYS.app1, body: {} }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const app1 = new Set(replies.filter((_, i) => i % 2 === 0).map((r) => r.body.data.profile_id));
    const app2 = new Set(replies.filter((_, i) => i % 2 === 1).map((r) => r.body.data.profile_id));
    expect(app1.size).toBe(1);
    expect(app2.size).toBe(1);
    expect([...app1][0]).not.toBe([...app2][0]);
  });

  it('30 parallel PATCHes of distinct custom attribute keys lose nothing', async () => {
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'patcher', body: {} });
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(ledger.url, { method: 'PATCH', path: PROFILE, customerUserId: 'patcher', body: { custom_attributes: [{ key: `k${i}`, value: i }] } }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200));
    // Every answer holds at least its own key.
    replies.forEach((r, i) => expect(r.body.data.custom_attributes).toContainEqual({ key: `k${i}`, value: i }));
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'patcher' });
    const got = Object.fromEntries(read.body.data.custom_attributes.map((a: { key: string; value: number }) => [a.key, a.value]));
    expect(got).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
  });

  it('50 parallel PATCHes of distinct keys: exactly 30 win, the other 20 get the limit error, and the profile holds exactly the winners', async () => {
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'patcher-50', body: {} });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(ledger.url, { method: 'PATCH', path: PROFILE, customerUserId: 'patcher-50', body: { custom_attributes: [{ key: `key_${i}`, value: `v${i}` }] } }),
      ),
    );
    const winners = replies.flatMap((r, i) => (r.status === 200 ? [`key_${i}`] : []));
    const losers = replies.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(30);
    expect(losers).toHaveLength(20);
    for (const r of losers) {
      expect(r.status).toBe(400);
      expect(r.body).toEqual(envelope(400, 'validation_error', 'custom_attributes', 'A profile can have at most 30 custom attributes.'));
    }
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'patcher-50' });
    expect(read.body.data.custom_attributes.map((a: { key: string }) => a.key).sort()).toEqual(winners.sort());
  });

  it('50 parallel PATCHes over two profiles (25 keys each) lose nothing', async () => {
    for (const id of ['twin-a', 'twin-b']) await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: id, body: {} });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(ledger.url, {
          method: 'PATCH',
          path: PROFILE,
          customerUserId: i % 2 ? 'twin-b' : 'twin-a',
          body: { custom_attributes: [{ key: `k${i}`, value: `v${i}` }] },
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const [id, parity] of [
      ['twin-a', 0],
      ['twin-b', 1],
    ] as const) {
      const read = await call(ledger.url, { path: PROFILE, customerUserId: id });
      const expected = Array.from({ length: 50 }, (_, i) => i)
        .filter((i) => i % 2 === parity)
        .map((i) => `k${i}`)
        .sort();
      expect(read.body.data.custom_attributes.map((a: { key: string }) => a.key).sort()).toEqual(expected);
    }
  });

  it('30 parallel grants of distinct declared levels to one profile lose nothing', async () => {
    const levels = Array.from({ length: 30 }, (_, i) => `level-${i}`);
    for (const level of levels) expect((await call(ledger.url, { method: 'PUT', path: `/admin/v1/access-levels/${level}` })).status).toBe(200);
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'granted', body: {} });
    const replies = await Promise.all(
      levels.map((level) => call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'granted', body: { access_level_id: level } })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200));
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'granted' });
    expect(read.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id).sort()).toEqual([...levels].sort());
  });

  it('20 parallel transactions of distinct chains on one profile: all recorded, revenue sums exactly', async () => {
    await call(ledger.url, { method: 'PUT', path: '/admin/v1/products/par.monthly', body: { access_level_id: 'premium' } });
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'buyer', body: {} });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(ledger.url, {
          method: 'POST',
          path: SET,
          customerUserId: 'buyer',
          body: subscriptionBody(ledger.clock, {
            store_product_id: 'par.monthly',
            store_transaction_id: `p${i}`,
            store_original_transaction_id: `p${i}`,
            price: { country: 'US', currency: 'USD', value: 1.25 },
            expires_at: at((10 + i) * DAY),
          }),
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'buyer' });
    expect(read.body.data.subscriptions).toHaveLength(20);
    expect(read.body.data.total_revenue_usd).toBe(25);
    // The longest of the 20 sources is the one shown.
    expect(read.body.data.access_levels).toHaveLength(1);
    expect(read.body.data.access_levels[0].store_transaction_id).toBe('p19');
  });

  it('the same transaction sent 20 times in parallel is recorded once', async () => {
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'resender', body: {} });
    const body = oneTimeBody(ledger.clock, {
      store: 'app_store',
      store_product_id: 'coins',
      store_transaction_id: 'dup',
      store_original_transaction_id: 'dup',
      price: { country: 'US', currency: 'USD', value: 3 },
    });
    const replies = await Promise.all(Array.from({ length: 20 }, () => call(ledger.url, { method: 'POST', path: SET, customerUserId: 'resender', body })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const read = await call(ledger.url, { path: PROFILE, customerUserId: 'resender' });
    expect(read.body.data.non_subscriptions).toHaveLength(1);
    expect(read.body.data.total_revenue_usd).toBe(3);
    // Every answer names the same purchase.
    expect(new Set(replies.map((r) => r.body.data.non_subscriptions[0].purchase_id)).size).toBe(1);
  });

  it('parallel attaches of different customer_user_ids to one profile leave every id consistent', async () => {
    for (let round = 0; round < 5; round++) {
      const created = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: `attach-${round}-x`, body: {} });
      const profileId = created.body.data.profile_id;
      const ids = Array.from({ length: 5 }, (_, i) => `attach-${round}-${i}`);
      const replies = await Promise.all(ids.map((id) => call(ledger.url, { method: 'POST', path: PROFILE, profileId, customerUserId: id, body: {} })));
      expect(replies.map((r) => r.status)).toEqual(Array(5).fill(200));
      const final = (await call(ledger.url, { path: PROFILE, profileId })).body.data.customer_user_id;
      expect(ids).toContain(final);
      // Every customer_user_id either names this profile (the winner) or is free again: a create by it
      // answers a profile that carries that very id.
      for (const id of [`attach-${round}-x`, ...ids]) {
        const r = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: id, body: {} });
        expect({ id, status: r.status, customer_user_id: r.body.data.customer_user_id }).toEqual({ id, status: 200, customer_user_id: id });
        if (id === final) expect(r.body.data.profile_id).toBe(profileId);
        else expect(r.body.data.profile_id).not.toBe(profileId);
      }
    }
  });

  it('creates racing a delete of the same customer_user_id always answer 200 and end in a consistent state', async () => {
    for (let round = 0; round < 10; round++) {
      const cuid = `flicker-${round}`;
      const original = (await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: cuid, body: {} })).body.data.profile_id;
      const replies = await Promise.all([
        call(ledger.url, { method: 'DELETE', path: PROFILE, customerUserId: cuid }),
        ...Array.from({ length: 10 }, () => call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: cuid, body: {} })),
      ]);
      expect([204, 404]).toContain(replies[0].status);
      const creates = replies.slice(1);
      expect(creates.map((r) => r.status)).toEqual(Array(10).fill(200));
      const read = await call(ledger.url, { path: PROFILE, customerUserId: cuid });
      const answered = new Set(creates.map((r) => r.body.data.profile_id));
      if (read.status === 200) {
        // Creates answered either the profile that was deleted or the one that now holds the id.
        for (const id of answered) expect([original, read.body.data.profile_id]).toContain(id);
        expect(read.body.data.customer_user_id).toBe(cuid);
        const again = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: cuid, body: {} });
        expect(again.body.data.profile_id).toBe(read.body.data.profile_id);
      } else {
        // Every create came before the delete.
        expect(read.status).toBe(404);
        expect([...answered]).toEqual([original]);
        const again = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: cuid, body: {} });
        expect(again.status).toBe(200);
        expect(again.body.data.profile_id).not.toBe(original);
      }
      expect((await call(ledger.url, { path: PROFILE, profileId: original })).status).toBe(replies[0].status === 204 ? 404 : 200);
    }
  });
});
