import { WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { ProfileReadModel } from '../profiles/profile-view';
import { NewDelivery, ProfileRow, ProjectionBatch, ReadModelReader, ReadModelWriter } from '../read-model-store.port';

/** One empty read-model store; every writer and reader it opens shares it, on a connection (or pool) of its own. */
export interface ReadModelStoreUnderTest {
  writer(): Promise<ReadModelWriter>;
  reader(): Promise<ReadModelReader>;
  dispose(): Promise<void>;
}

const T0 = Date.parse('2026-03-03T14:00:00.000Z');

const profile = (id: string, revision: number, extra: Partial<ProfileRow> = {}): ProfileRow => ({
  profile_id: id,
  app_id: 'app1',
  customer_user_id: `cu-${id}`,
  revision: BigInt(revision),
  view: { profile_id: id, revision, note: 'ünïcödé ✓' } as unknown as ProfileReadModel,
  next_expiry_at: null,
  ...extra,
});

const endpoint = (id: string, createdAt: string, enabled = true): WebhookEndpoint => ({
  id,
  url: `https://hooks.example.com/${id}`,
  verification: 'none' as WebhookEndpoint['verification'],
  authorization: null,
  event_types: null,
  environment: null,
  enabled,
  secret: 'whsec_x',
  created_at: createdAt,
  disabled_reason: enabled ? null : 'turned off',
});

const delivery = (id: string, profileId: string, sequence: number, extra: Partial<NewDelivery> = {}): NewDelivery => ({
  id,
  endpoint_id: 'e1',
  app_id: 'app1',
  profile_id: profileId,
  profile_sequence: sequence,
  event_type: 'access_level_updated',
  payload: JSON.stringify({ id, sequence }),
  due_at: T0,
  ...extra,
});

const batch = (from: bigint, to: bigint, parts: Partial<ProjectionBatch> = {}): ProjectionBatch => ({
  from,
  to,
  profiles: [],
  removedProfiles: [],
  endpoints: [],
  removedEndpoints: [],
  deliveries: [],
  stopped: [],
  ...parts,
});

/**
 * The behaviour every read-model adapter shares (SQLite beside one node, PostgreSQL shared by
 * several): what the projector, readers and webhook senders rely on. Each test gets a fresh store.
 */
export function readModelContract(name: string, fresh: () => Promise<ReadModelStoreUnderTest>): void {
  describe(`read-model store contract: ${name}`, () => {
    let store: ReadModelStoreUnderTest;
    let opened: Array<{ close(): Promise<void> }>;
    let w: ReadModelWriter;
    let r: ReadModelReader;
    let at: bigint;
    const writer = async () => {
      const x = await store.writer();
      opened.push(x);
      return x;
    };
    const reader = async () => {
      const x = await store.reader();
      opened.push(x);
      return x;
    };
    /** Commits the next batch after the checkpoint this test has reached. */
    const next = async (parts: Partial<ProjectionBatch>, by: ReadModelWriter = w) => {
      const result = await by.commit(batch(at, at + 10n, parts));
      if (result === null) throw new Error(`commit from ${at} refused`);
      at += 10n;
      return result.enqueued;
    };
    /** Enqueues deliveries (their endpoints exist and are enabled) and answers their seqs in order. */
    const enqueue = async (...ds: NewDelivery[]) => (await next({ deliveries: ds })).map((d) => d.seq);

    beforeEach(async () => {
      store = await fresh();
      opened = [];
      w = await writer();
      r = await reader();
      at = -1n;
    });
    afterEach(async () => {
      for (const x of opened.reverse()) await x.close();
      await store.dispose();
    });

    it('starts empty at checkpoint -1', async () => {
      expect(await w.checkpoint()).toBe(-1n);
      expect(await r.checkpoint()).toBe(-1n);
      expect(await r.stoppedStreams()).toEqual([]);
      expect(await r.outboxCounts()).toEqual({ pending: 0, failed: 0 });
      expect(await r.profileById('app1', 'p1')).toBeNull();
    });

    it('commits a batch only from the checkpoint it was computed from', async () => {
      expect(await w.commit(batch(-1n, 5n, { profiles: [profile('p1', 0)] }))).toEqual({ enqueued: [] });
      expect(await r.checkpoint()).toBe(5n);
      const other = await writer();
      expect(await other.checkpoint()).toBe(5n);
      // Another writer computed from -1 too: refused, and nothing of it is written.
      expect(await other.commit(batch(-1n, 7n, { profiles: [profile('p2', 0)], deliveries: [delivery('d1', 'p2', 1)] }))).toBeNull();
      expect(await r.profileById('app1', 'p2')).toBeNull();
      expect(await r.outboxCounts()).toEqual({ pending: 0, failed: 0 });
      expect(await w.checkpoint()).toBe(5n);
      expect(await other.commit(batch(5n, 9n, { profiles: [profile('p2', 0)] }))).toEqual({ enqueued: [] });
      expect(await w.checkpoint()).toBe(9n);
      expect(await r.profileById('app1', 'p2')).not.toBeNull();
    });

    it('lets exactly one of two writers racing from the same checkpoint commit', async () => {
      const [a, b] = [await writer(), await writer()];
      const results = await Promise.all([a.commit(batch(-1n, 3n, { profiles: [profile('pa', 0)] })), b.commit(batch(-1n, 4n, { profiles: [profile('pb', 0)] }))]);
      expect(results.filter((x) => x !== null)).toHaveLength(1);
      const won = results[0] !== null ? 'pa' : 'pb';
      expect(await r.checkpoint()).toBe(won === 'pa' ? 3n : 4n);
      expect(await r.profileById('app1', won)).not.toBeNull();
      expect(await r.profileById('app1', won === 'pa' ? 'pb' : 'pa')).toBeNull();
    });

    it('upserts, finds (by id within its app, by customer user id) and removes profile rows', async () => {
      await next({ profiles: [profile('p1', 0), profile('p2', 3, { customer_user_id: null })] });
      const p1 = await r.profileById('app1', 'p1');
      expect(p1).toMatchObject({ profile_id: 'p1', revision: 0n, stopped: null });
      expect(JSON.parse(p1!.view)).toEqual({ profile_id: 'p1', revision: 0, note: 'ünïcödé ✓' });
      expect(await r.profileById('app2', 'p1')).toBeNull();
      expect((await r.profileByCustomer('app1', 'cu-p1'))?.profile_id).toBe('p1');
      expect(await r.profileByCustomer('app2', 'cu-p1')).toBeNull();
      await next({ profiles: [profile('p1', 4, { customer_user_id: 'renamed' })] });
      expect(await r.profileById('app1', 'p1')).toMatchObject({ revision: 4n });
      expect(await r.profileByCustomer('app1', 'cu-p1')).toBeNull();
      expect((await r.profileByCustomer('app1', 'renamed'))?.profile_id).toBe('p1');
      await next({ removedProfiles: ['p1'] });
      expect(await r.profileById('app1', 'p1')).toBeNull();
      expect(await r.profileById('app1', 'p2')).toMatchObject({ revision: 3n });
      // Written and removed in the same batch: removed.
      await next({ profiles: [profile('p3', 0)], removedProfiles: ['p3'] });
      expect(await r.profileById('app1', 'p3')).toBeNull();
    });

    it('stores a profile whose customer user id holds NUL (its view keeps it), and goes on', async () => {
      await next({ profiles: [profile('p1', 0, { customer_user_id: 'a\u0000b', view: { customer_user_id: 'a\u0000b' } as unknown as ProfileReadModel })] });
      expect(JSON.parse((await r.profileById('app1', 'p1'))!.view)).toEqual({ customer_user_id: 'a\u0000b' });
      await next({ profiles: [profile('p2', 0)] });
      expect(await r.checkpoint()).toBe(at);
    });

    it('lists expiries that fell due, soonest first, up to the limit', async () => {
      await next({
        profiles: [
          profile('late', 0, { next_expiry_at: T0 + 3000 }),
          profile('soon', 0, { next_expiry_at: T0 + 1000 }),
          profile('mid', 0, { next_expiry_at: T0 + 2000 }),
          profile('never', 0),
        ],
      });
      expect(await r.dueExpiries(T0 + 2500, 10)).toEqual([
        { profile_id: 'soon', app_id: 'app1', due_at: T0 + 1000 },
        { profile_id: 'mid', app_id: 'app1', due_at: T0 + 2000 },
      ]);
      expect((await r.dueExpiries(T0 + 5000, 1)).map((e) => e.profile_id)).toEqual(['soon']);
      expect(await r.dueExpiries(T0, 10)).toEqual([]);
    });

    it('stops a stream at its first failure, keeps its row, and lifts the stop when the profile is removed', async () => {
      await next({ profiles: [profile('p1', 2)] });
      const failure = { stream_id: 'profile-p1', position: 13n, event_type: 'Bad', error: 'cannot apply' };
      await next({ stopped: [failure, { stream_id: 'profile-p1', position: 14n, event_type: 'Later', error: 'again' }] });
      await next({ stopped: [{ stream_id: 'webhook-endpoints-app1', position: 15n, event_type: 'Worse', error: 'no' }, { ...failure, position: 16n }] });
      expect(await r.stoppedStreams()).toEqual([failure, { stream_id: 'webhook-endpoints-app1', position: 15n, event_type: 'Worse', error: 'no' }]);
      expect(await w.stoppedStreams()).toEqual(await r.stoppedStreams());
      expect(await r.profileById('app1', 'p1')).toMatchObject({ revision: 2n, stopped: failure });
      await next({ removedProfiles: ['p1'] });
      expect((await r.stoppedStreams()).map((f) => f.stream_id)).toEqual(['webhook-endpoints-app1']);
    });

    it('sets the outbox horizon once, whichever writer asks later', async () => {
      expect(await w.outboxHorizon(41n)).toBe(41n);
      expect(await w.outboxHorizon(99n)).toBe(41n);
      expect(await (await writer()).outboxHorizon(7n)).toBe(41n);
    });

    it('keeps endpoints per app in creation order, updates and removes them', async () => {
      await next({
        endpoints: [
          { app_id: 'app1', endpoint: endpoint('e2', '2026-03-03T14:00:02.000Z') },
          { app_id: 'app1', endpoint: endpoint('e1', '2026-03-03T14:00:01.000Z') },
          { app_id: 'app2', endpoint: endpoint('x1', '2026-03-03T14:00:00.000Z') },
        ],
      });
      expect((await w.endpointsOf('app1')).map((e) => e.id)).toEqual(['e1', 'e2']);
      expect((await w.endpointsOf('app2')).map((e) => e.id)).toEqual(['x1']);
      expect(await w.endpointsOf('app3')).toEqual([]);
      // Changed twice in one batch: the last change stands.
      await next({
        endpoints: [
          { app_id: 'app1', endpoint: { ...endpoint('e1', '2026-03-03T14:00:01.000Z'), url: 'https://hooks.example.com/first' } },
          { app_id: 'app1', endpoint: { ...endpoint('e1', '2026-03-03T14:00:01.000Z'), url: 'https://hooks.example.com/second' } },
        ],
      });
      expect((await r.endpoint('e1'))?.url).toBe('https://hooks.example.com/second');
      expect(await r.endpoint('e2')).toEqual(endpoint('e2', '2026-03-03T14:00:02.000Z'));
      await next({ removedEndpoints: ['e2'] });
      expect(await r.endpoint('e2')).toBeNull();
      expect((await w.endpointsOf('app1')).map((e) => e.id)).toEqual(['e1']);
    });

    it('finds nothing by ids no row holds, NUL characters included', async () => {
      await next({ profiles: [profile('p1', 0)], endpoints: [{ app_id: 'app1', endpoint: endpoint('e1', '2026-03-03T14:00:01.000Z') }] });
      for (const id of ['\u0000', 'p1\u0000', 'nobody']) {
        expect(await r.profileById('app1', id)).toBeNull();
        expect(await r.profileById(id, 'p1')).toBeNull();
        expect(await r.profileByCustomer('app1', id)).toBeNull();
        expect(await r.endpoint(id)).toBeNull();
        expect(await r.deliveries('app1', id, 10)).toEqual([]);
        expect(await r.profileDeliveries(id, 'p1', 10, null)).toEqual({ data: [], nextBeforeSeq: null });
        expect(await w.endpointsOf(id)).toEqual([]);
        expect(await w.redeliver('app1', id, T0)).toBeNull();
      }
    });

    describe('outbox', () => {
      beforeEach(async () => {
        await next({
          endpoints: [
            { app_id: 'app1', endpoint: endpoint('e1', '2026-03-03T14:00:01.000Z') },
            { app_id: 'app1', endpoint: endpoint('e2', '2026-03-03T14:00:02.000Z') },
            { app_id: 'app1', endpoint: endpoint('off', '2026-03-03T14:00:03.000Z', false) },
          ],
        });
      });

      it('enqueues each delivery once, in batch order, and answers only those it enqueued', async () => {
        const first = await next({ deliveries: [delivery('d1', 'p1', 1), delivery('d2', 'p2', 1)] });
        expect(first.map((d) => d.id)).toEqual(['d1', 'd2']);
        expect(first[0]).toEqual({ seq: first[0].seq, id: 'd1', endpoint_id: 'e1', app_id: 'app1', profile_id: 'p1', payload: JSON.stringify({ id: 'd1', sequence: 1 }), attempts: 0 });
        expect(first[1].seq).toBeGreaterThan(first[0].seq);
        const again = await next({ deliveries: [delivery('d2', 'p2', 1), delivery('d3', 'p1', 2)] });
        expect(again.map((d) => d.id)).toEqual(['d3']);
        expect(again[0].seq).toBeGreaterThan(first[1].seq);
        expect(await r.outboxCounts()).toEqual({ pending: 3, failed: 0 });
      });

      it('lists due deliveries of enabled endpoints, oldest first; one per profile and endpoint', async () => {
        await enqueue(
          delivery('a1', 'pa', 1),
          delivery('a2', 'pa', 2),
          delivery('b1', 'pb', 1, { due_at: T0 + 60_000 }),
          delivery('c1', 'pc', 1, { endpoint_id: 'e2' }),
          delivery('o1', 'pd', 1, { endpoint_id: 'off' }),
          delivery('a1e2', 'pa', 1, { endpoint_id: 'e2' }),
        );
        expect((await r.dueDeliveries(T0, 100)).map((d) => d.id)).toEqual(['a1', 'c1', 'a1e2']);
        expect((await r.dueDeliveries(T0 + 60_000, 100)).map((d) => d.id)).toEqual(['a1', 'b1', 'c1', 'a1e2']);
        expect((await r.dueDeliveries(T0, 2)).map((d) => d.id)).toEqual(['a1', 'c1']);
      });

      it('lets one writer claim a delivery; another gets it only once the lease lapses or is released', async () => {
        const [s1, s2] = await enqueue(delivery('d1', 'p1', 1), delivery('d2', 'p2', 1));
        const other = await writer();
        expect(await w.claim([s1], T0, T0 + 1000)).toEqual([s1]);
        expect(await other.claim([s1, s2], T0 + 500, T0 + 1500)).toEqual([s2]);
        expect(await w.claim([s1], T0 + 999, T0 + 2000)).toEqual([]);
        expect((await r.dueDeliveries(T0 + 999, 10)).map((d) => d.id)).toEqual([]);
        // Lapsed: due again, and claimable by anyone.
        expect((await r.dueDeliveries(T0 + 1001, 10)).map((d) => d.id)).toEqual(['d1']);
        expect(await other.claim([s1], T0 + 1001, T0 + 3000)).toEqual([s1]);
        // Released: claimable at once.
        await other.release([s1, s2]);
        expect(await w.claim([s2, s1], T0 + 1002, T0 + 4000)).toEqual([s2, s1]);
        expect(await w.claim([], T0, T0)).toEqual([]);
      });

      it('never hands a delivery to two writers claiming at the same time', async () => {
        const seqs = await enqueue(...Array.from({ length: 40 }, (_, i) => delivery(`d${i}`, `p${i}`, 1)));
        const writers = [w, await writer(), await writer()];
        const claimed = await Promise.all(writers.map((x) => x.claim(seqs, T0, T0 + 10_000)));
        const all = claimed.flat();
        expect(new Set(all).size).toBe(all.length);
        expect(all.sort((a, b) => a - b)).toEqual(seqs);
      });

      it('does not claim what is not due, not pending, or unknown', async () => {
        const [s1, s2] = await enqueue(delivery('d1', 'p1', 1, { due_at: T0 + 1000 }), delivery('d2', 'p2', 1));
        await w.recordAttempts([{ seq: s2, status: 'delivered', response_status: 200, response_excerpt: null, error: null, attempted_at: T0, next_attempt_at: null }]);
        expect(await w.claim([s1, s2, 999_999], T0, T0 + 100)).toEqual([]);
        expect(await w.claim([s1], T0 + 1000, T0 + 1100)).toEqual([s1]);
      });

      it('records attempts: delivered, rejected, failed, and pending with the next attempt', async () => {
        const [s1, s2, s3, s4] = await enqueue(delivery('d1', 'p1', 1), delivery('d2', 'p2', 1), delivery('d3', 'p3', 1), delivery('d4', 'p4', 1));
        expect(await w.claim([s1, s2, s3, s4], T0, T0 + 10_000)).toEqual([s1, s2, s3, s4]);
        const t = T0 + 100;
        await w.recordAttempts([
          { seq: s1, status: 'delivered', response_status: 204, response_excerpt: null, error: null, attempted_at: t, next_attempt_at: null },
          { seq: s2, status: 'rejected', response_status: 400, response_excerpt: 'bad', error: 'HTTP 400', attempted_at: t, next_attempt_at: null },
          { seq: s3, status: 'failed', response_status: 503, response_excerpt: 'busy', error: 'HTTP 503', attempted_at: t, next_attempt_at: null },
          { seq: s4, status: 'pending', response_status: null, response_excerpt: null, error: 'timeout', attempted_at: t, next_attempt_at: t + 5000 },
        ]);
        const views = new Map((await r.deliveries('app1', 'e1', 10)).map((v) => [v.id, v]));
        const created = new Date(T0).toISOString();
        const tried = new Date(t).toISOString();
        expect(views.get('d1')).toEqual({
          id: 'd1',
          endpoint_id: 'e1',
          profile_id: 'p1',
          profile_sequence: 1,
          event_type: 'access_level_updated',
          status: 'delivered',
          attempts: 1,
          last_response_status: 204,
          last_response_excerpt: null,
          last_error: null,
          last_attempt_at: tried,
          next_attempt_at: null,
          delivered_at: tried,
          created_at: created,
        });
        expect(views.get('d2')).toMatchObject({ status: 'rejected', attempts: 1, last_response_status: 400, last_response_excerpt: 'bad', last_error: 'HTTP 400', next_attempt_at: null, delivered_at: null });
        expect(views.get('d3')).toMatchObject({ status: 'failed', attempts: 1, last_response_status: 503, last_error: 'HTTP 503' });
        expect(views.get('d4')).toMatchObject({ status: 'pending', attempts: 1, last_response_status: null, last_error: 'timeout', next_attempt_at: new Date(t + 5000).toISOString() });
        expect(await r.outboxCounts()).toEqual({ pending: 1, failed: 1 });
        // The retry waits for its time, without a lease.
        expect(await r.dueDeliveries(t + 4999, 10)).toEqual([]);
        expect(await r.dueDeliveries(t + 5000, 10)).toEqual([{ seq: s4, id: 'd4', endpoint_id: 'e1', app_id: 'app1', profile_id: 'p4', payload: JSON.stringify({ id: 'd4', sequence: 1 }), attempts: 1 }]);
        expect(await w.claim([s4], t + 4999, t + 9000)).toEqual([]);
        expect(await w.claim([s4], t + 5000, t + 9000)).toEqual([s4]);
        // A release leaves an ended delivery as it is.
        await w.release([s1]);
        expect(await w.claim([s1], t + 6000, t + 9000)).toEqual([]);
      });

      it('records an answer that holds NUL characters', async () => {
        const [s1] = await enqueue(delivery('d1', 'p1', 1));
        await w.claim([s1], T0, T0 + 1000);
        await w.recordAttempts([{ seq: s1, status: 'rejected', response_status: 400, response_excerpt: 'bad\u0000ok', error: 'HTTP 400 \u0000', attempted_at: T0 + 1, next_attempt_at: null }]);
        const [view] = await r.deliveries('app1', 'e1', 1);
        expect(view.status).toBe('rejected');
        expect(view.last_response_excerpt).toMatch(/^bad[\u0000\uFFFD]ok$/);
      });

      it('redelivers an ended delivery (same id, attempts from zero) and leaves a pending one as it is', async () => {
        const [s1, s2] = await enqueue(delivery('d1', 'p1', 1), delivery('d2', 'p2', 1));
        await w.claim([s1], T0, T0 + 1000);
        await w.recordAttempts([{ seq: s1, status: 'failed', response_status: 500, response_excerpt: null, error: 'HTTP 500', attempted_at: T0 + 10, next_attempt_at: null }]);
        expect(await r.outboxCounts()).toEqual({ pending: 1, failed: 1 });
        const again = await w.redeliver('app1', 'd1', T0 + 20_000);
        expect(again).toMatchObject({ id: 'd1', status: 'pending', attempts: 0, last_error: 'HTTP 500', next_attempt_at: new Date(T0 + 20_000).toISOString() });
        expect(await r.outboxCounts()).toEqual({ pending: 2, failed: 0 });
        expect((await r.dueDeliveries(T0 + 20_000, 10)).map((d) => d.id)).toEqual(['d1', 'd2']);
        expect(await w.claim([s1], T0 + 20_000, T0 + 21_000)).toEqual([s1]);
        // Pending (and leased): untouched.
        expect(await w.redeliver('app1', 'd1', T0 + 30_000)).toMatchObject({ status: 'pending', next_attempt_at: new Date(T0 + 20_000).toISOString() });
        expect(await w.claim([s1], T0 + 20_500, T0 + 22_000)).toEqual([]);
        expect(await w.redeliver('app2', 'd1', T0)).toBeNull();
        expect(await w.redeliver('app1', 'nope', T0)).toBeNull();
        expect(s2).toBeGreaterThan(s1);
      });

      it("claims a profile's deliveries to an endpoint only in order; a retry waiting does not hold the rest up", async () => {
        const [a1, a2, a3, b1, a1e2] = await enqueue(
          delivery('a1', 'pa', 1),
          delivery('a2', 'pa', 2),
          delivery('a3', 'pa', 3),
          delivery('b1', 'pb', 1),
          delivery('a1e2', 'pa', 1, { endpoint_id: 'e2' }),
        );
        const other = await writer();
        // a2 waits behind a1 (never tried); other profiles and endpoints do not.
        expect(await w.claim([a2, b1, a1e2], T0, T0 + 1000)).toEqual([b1, a1e2]);
        expect(await other.claim([a1, a2], T0, T0 + 1000)).toEqual([a1]);
        // a1 in flight: a2 still waits, on every writer.
        expect(await w.claim([a2], T0 + 10, T0 + 1000)).toEqual([]);
        expect((await r.dueDeliveries(T0 + 10, 10)).map((d) => d.id)).toEqual([]);
        await other.recordAttempts([{ seq: a1, status: 'pending', response_status: 500, response_excerpt: null, error: 'HTTP 500', attempted_at: T0 + 20, next_attempt_at: T0 + 60_000 }]);
        // a1 waits for its retry: a2 may go; a3 waits behind a2.
        expect((await r.dueDeliveries(T0 + 30, 10)).map((d) => d.id)).toEqual(['a2']);
        expect(await w.claim([a2, a3], T0 + 30, T0 + 1000)).toEqual([a2]);
        await w.recordAttempts([{ seq: a2, status: 'delivered', response_status: 200, response_excerpt: null, error: null, attempted_at: T0 + 40, next_attempt_at: null }]);
        // a1's retry is due and a3 is next (the leases of b1 and a1e2 lapsed): a1 goes first, and a3 not in the same claim.
        expect((await r.dueDeliveries(T0 + 60_000, 10)).map((d) => d.id)).toEqual(['a1', 'a3', 'b1', 'a1e2']);
        expect(await w.claim([a3, a1], T0 + 60_000, T0 + 61_000)).toEqual([a1]);
        expect(await w.claim([a3], T0 + 60_001, T0 + 61_000)).toEqual([]);
      });

      it("pages a profile's deliveries newest first", async () => {
        const seqs = await enqueue(...[1, 2, 3, 4, 5].map((n) => delivery(`d${n}`, 'p1', n)), delivery('x', 'p2', 1), delivery('y', 'p1', 6, { app_id: 'app2' }));
        const first = await r.profileDeliveries('app1', 'p1', 2, null);
        expect(first.data.map((d) => d.id)).toEqual(['d5', 'd4']);
        expect(first.nextBeforeSeq).toBe(seqs[3]);
        const second = await r.profileDeliveries('app1', 'p1', 2, first.nextBeforeSeq);
        expect(second.data.map((d) => d.id)).toEqual(['d3', 'd2']);
        const last = await r.profileDeliveries('app1', 'p1', 2, second.nextBeforeSeq);
        expect(last).toEqual({ data: [expect.objectContaining({ id: 'd1' })], nextBeforeSeq: null });
        expect(await r.profileDeliveries('app1', 'p1', 5, null)).toMatchObject({ nextBeforeSeq: null });
        expect((await r.profileDeliveries('app2', 'p1', 5, null)).data.map((d) => d.id)).toEqual(['y']);
        expect(await r.profileDeliveries('app1', 'nobody', 5, null)).toEqual({ data: [], nextBeforeSeq: null });
      });

      it("lists an endpoint's deliveries newest first, up to the limit, within its app", async () => {
        await enqueue(delivery('d1', 'p1', 1), delivery('d2', 'p2', 1), delivery('e', 'p1', 1, { endpoint_id: 'e2' }), delivery('d3', 'p3', 1));
        expect((await r.deliveries('app1', 'e1', 10)).map((d) => d.id)).toEqual(['d3', 'd2', 'd1']);
        expect((await r.deliveries('app1', 'e1', 2)).map((d) => d.id)).toEqual(['d3', 'd2']);
        expect(await r.deliveries('app2', 'e1', 10)).toEqual([]);
      });
    });
  });
}
