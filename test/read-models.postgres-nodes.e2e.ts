/**
 * Two ledger nodes on one PostgreSQL database share its read models: each learns of the other's
 * writes by LISTEN/NOTIFY (polling is set to ten minutes here, so nothing else could tell them in
 * time), reads on one node see writes acked by the other, and deliveries another node enqueued
 * wake this node's webhook sender.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { PostgresReadModelWriter } from '../src/projections/postgres/postgres-read-models';
import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';
import { freshDatabase } from './support/postgres';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

const PROFILE = `${V2}/profile/`;
const SLOW_POLLS = { PROJECTION_POLL_MS: '600000', WEBHOOK_POLL_MS: '600000', EXPIRY_POLL_MS: '600000', PG_POOL_SIZE: '4' };

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

describe('nodes sharing PostgreSQL read models', () => {
  let url: string;
  let a: RunningLedger;
  let b: RunningLedger;

  beforeAll(async () => {
    url = await freshDatabase('nodes');
    a = await startLedger({ env: { EVENT_STORE_URL: url, ...SLOW_POLLS } });
    b = await startLedger({ env: { EVENT_STORE_URL: url, ...SLOW_POLLS } });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('keeps the read models in PostgreSQL, not in a local file', async () => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ledger_rm_%' ORDER BY 1`);
      expect(rows.map((r) => r.table_name)).toEqual([
        'ledger_rm_checkpoint',
        'ledger_rm_deliveries',
        'ledger_rm_endpoints',
        'ledger_rm_meta',
        'ledger_rm_profiles',
        'ledger_rm_stopped',
        'ledger_rm_store_intake_stats',
        'ledger_rm_store_secrets',
      ]);
    } finally {
      await db.end();
    }
  });

  it("moves a node's read-model position to another node's write without a read or a poll", async () => {
    const created = await call(a.url, { method: 'POST', path: PROFILE, customerUserId: `n-${randomUUID()}`, body: {} });
    expect(created.status).toBe(200);
    const head = await a.runtime.store.headPosition();
    await eventually(() => b.runtime.engine.position >= head, 3000);
  });

  it("serves on one node what the other acked a moment before, even over a cached view", async () => {
    const user = `n-${randomUUID()}`;
    expect((await call(a.url, { method: 'POST', path: PROFILE, customerUserId: user, body: {} })).status).toBe(200);
    const before = await call(b.url, { path: PROFILE, customerUserId: user });
    expect(before.status).toBe(200);
    expect(before.body.data.custom_attributes).toEqual([]);
    for (const name of ['Ada', 'Grace', 'Edsger', 'Barbara', 'Donald']) {
      const updated = await call(a.url, { method: 'PATCH', path: PROFILE, customerUserId: user, body: { custom_attributes: [{ key: 'name', value: name }] } });
      expect([updated.status, updated.body?.errors]).toEqual([200, undefined]);
      const seen = await call(b.url, { path: PROFILE, customerUserId: user });
      expect(seen.status).toBe(200);
      expect(seen.body.data.custom_attributes).toEqual([{ key: 'name', value: name }]);
    }
  });

  it('goes on projecting after a customer user id that PostgreSQL text cannot hold (NUL)', async () => {
    const odd = await call(a.url, { method: 'POST', path: '/api/v1/sdk/profiles', body: { customer_user_id: `nul\u0000${randomUUID()}` } });
    expect(odd.status).toBeLessThan(500);
    const user = `n-${randomUUID()}`;
    expect((await call(a.url, { method: 'POST', path: PROFILE, customerUserId: user, body: {} })).status).toBe(200);
    expect((await call(b.url, { path: PROFILE, customerUserId: user })).status).toBe(200);
    expect(b.runtime.engine.position).toBeGreaterThanOrEqual(await a.runtime.store.headPosition());
  });

  it('projects events that a process which does not project appended (a writer that died before projecting)', async () => {
    const writer = await PostgresEventStore.open({ url, poolSize: 1 });
    let position: bigint;
    try {
      ({ position } = await writer.append(`noise-${randomUUID()}`, [{ eventId: randomUUID(), type: 'Noise', data: {}, metadata: {} }], { expected: 'no_stream', recordedAt: new Date() }));
    } finally {
      await writer.close();
    }
    await eventually(() => a.runtime.engine.position >= position && b.runtime.engine.position >= position, 3000);
  });

  it('listens again after its notification connection is cut', async () => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const cut = await db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'subscription-ledger projections'`,
      );
      expect(cut.rowCount).toBe(2);
      await eventually(async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'subscription-ledger projections'`)).rowCount === 2, 5000);
    } finally {
      await db.end();
    }
    expect((await call(a.url, { method: 'POST', path: PROFILE, customerUserId: `n-${randomUUID()}`, body: {} })).status).toBe(200);
    const head = await a.runtime.store.headPosition();
    await eventually(() => b.runtime.engine.position >= head, 3000);
  });

  it('wakes the webhook sender for deliveries another node enqueued, and shows the streams it stopped', async () => {
    const receiver = new WebhookReceiver();
    const hook = await receiver.start();
    // Another node's projector, as far as this node can tell: a commit to the shared read models
    // that enqueues a delivery. It moves the checkpoint one past the log's head (this is the last
    // test of the file: nothing is appended after it).
    const head = await a.runtime.store.headPosition();
    await eventually(() => a.runtime.engine.position >= head && b.runtime.engine.position >= head, 3000);
    const other = await PostgresReadModelWriter.open({ url, poolSize: 1 });
    try {
      const from = await other.checkpoint();
      expect(from).toBe(head);
      const id = randomUUID();
      const endpoint = {
        id: randomUUID(),
        url: hook,
        verification: 'none' as const,
        authorization: null,
        event_types: null,
        environment: null,
        enabled: true,
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        created_at: new Date().toISOString(),
        disabled_reason: null,
      };
      const committed = await other.commit({
        from,
        to: from + 1n,
        profiles: [],
        removedProfiles: [],
        endpoints: [{ app_id: 'app1', endpoint }],
        removedEndpoints: [],
        deliveries: [
          { id, endpoint_id: endpoint.id, app_id: 'app1', profile_id: 'p-other', profile_sequence: 1, event_type: 'access_level_updated', payload: '{"event_type":"access_level_updated"}', due_at: Date.now() },
        ],
        stopped: [{ stream_id: 'profile-ghost', position: from + 1n, event_type: 'Bad', error: 'cannot apply' }],
      });
      expect(committed?.enqueued).toHaveLength(1);
      await receiver.waitFor((r) => r.some((x) => x.headers['webhook-id'] === id), 5000);
      // The stream the other node stopped shows in this node's health, and stays there while others move the read models.
      await eventually(() => b.runtime.engine.stopped.some((f) => f.stream_id === 'profile-ghost'), 3000);
      const empty = { profiles: [], removedProfiles: [], endpoints: [], removedEndpoints: [], deliveries: [], stopped: [] };
      expect(await other.commit({ ...empty, from: from + 1n, to: from + 2n })).toEqual({ enqueued: [] });
      await eventually(() => b.runtime.engine.position >= from + 2n, 3000);
      expect(b.runtime.engine.stopped.map((f) => f.stream_id)).toEqual(['profile-ghost']);
    } finally {
      await other.close();
      await receiver.stop();
    }
  });
});
