import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import {
  DuplicateEventIdError,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../src/event-store/event-store.port';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { freshDatabase } from './support/postgres';

/**
 * What is special to PostgreSQL, beyond the shared contract (test/event-store.postgres.spec.ts):
 * several stores on one database stand for several ledger nodes, each with its own pool, so the
 * races below are between real concurrent transactions on separate connections.
 */
describe('PostgreSQL event store: guarantees across nodes and transactions', () => {
  let url: string;
  let nodes: PostgresEventStore[];
  let admin: Pool;
  const at = new Date('2026-03-03T14:00:00.000Z');
  const stream = (prefix = 'pg') => `${prefix}-${randomUUID()}`;
  const ev = (type: string, n: number, eventId = randomUUID()): EventToAppend => ({ eventId, type, data: { n }, metadata: { test: 'pg' } });
  const append = (node: PostgresEventStore, s: string, events: EventToAppend[], expected: ExpectedRevision) =>
    node.append(s, events, { expected, recordedAt: at });
  const count = async (sql: string, values: unknown[]) => Number((await admin.query<{ n: string }>(sql, values)).rows[0].n);

  beforeAll(async () => {
    url = await freshDatabase('guarantees');
    nodes = await Promise.all([0, 1, 2, 3].map(() => PostgresEventStore.open({ url, poolSize: 4 })));
    admin = new Pool({ connectionString: url, max: 3 });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await admin.end();
  });

  it('creates its schema once when several processes open an empty database at the same time', async () => {
    const empty = await freshDatabase('schema_race');
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresEventStore.open({ url: empty, poolSize: 1 })));
    try {
      const results = await Promise.all(stores.map((s, i) => append(s, stream(), [ev('A', i)], 'no_stream')));
      expect(new Set(results.map((r) => r.position)).size).toBe(6);
      const db = new Client({ connectionString: empty });
      await db.connect();
      const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_proc WHERE proname IN ('ledger_append_v1', 'ledger_delete_stream_v1')");
      await db.end();
      expect(Number(rows[0].n)).toBe(2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  describe('optimistic concurrency under real concurrent transactions', () => {
    it('lets exactly one of many appends at one revision win when they come from several nodes at once', async () => {
      const s = stream();
      const results = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => append(nodes[i % 4], s, [ev('A', i)], 'no_stream')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await nodes[3].readStream(s)).toHaveLength(1);

      const next = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => append(nodes[i % 4], s, [ev('B', i)], 0n)));
      expect(next.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await nodes[0].readStream(s)).map((e) => e.revision)).toEqual([0n, 1n]);
    });

    it('loses and doubles nothing when writers on four nodes race read-decide-append loops on one stream', async () => {
      const s = stream('counter');
      const workers = 12;
      const perWorker = 15;
      const won: string[] = [];
      let conflicts = 0;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          const node = nodes[w % 4];
          for (let k = 0; k < perWorker; k++) {
            for (;;) {
              const tail = await node.readStream(s);
              const expected: ExpectedRevision = tail.length === 0 ? 'no_stream' : tail[tail.length - 1].revision;
              const e = ev('Inc', w * 1000 + k);
              try {
                await append(node, s, [e], expected);
                won.push(e.eventId);
                break;
              } catch (error) {
                expect(error).toBeInstanceOf(WrongExpectedRevisionError);
                conflicts++;
              }
            }
          }
        }),
      );
      const events = await nodes[0].readStream(s);
      expect(events).toHaveLength(workers * perWorker);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: workers * perWorker }, (_, i) => BigInt(i)));
      expect(events.map((e) => e.eventId).sort()).toEqual([...won].sort());
      expect(new Set(events.map((e) => e.data.n)).size).toBe(workers * perWorker);
      // The race was real: some appends lost it and were retried.
      expect(conflicts).toBeGreaterThan(0);
    }, 60_000);

    it('accepts one event id once when two nodes append it to different streams at the same time', async () => {
      const id = randomUUID();
      const [a, b] = [stream(), stream()];
      const results = await Promise.allSettled([append(nodes[0], a, [ev('A', 1, id)], 'any'), append(nodes[1], b, [ev('B', 1, id)], 'any')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(DuplicateEventIdError);
      expect(await count('SELECT count(*) AS n FROM ledger_events WHERE event_id = $1', [id])).toBe(1);
    });

    it('backs the checks with UNIQUE (stream_id, revision) and UNIQUE (event_id) in the schema', async () => {
      const s = stream();
      const first = ev('A', 1);
      await append(nodes[0], s, [first], 'no_stream');
      const insert = (eventId: string, revision: number) =>
        admin.query(
          `INSERT INTO ledger_events (position, event_id, stream_id, revision, type, data, metadata, recorded_at)
           VALUES ((SELECT last_position + 1000000 FROM ledger_log), $1, $2, $3, 'X', '{}', '{}', now())`,
          [eventId, s, revision],
        );
      await expect(insert(randomUUID(), 0)).rejects.toMatchObject({ code: '23505', constraint: 'ledger_events_stream_id_revision_key' });
      await expect(insert(first.eventId, 1)).rejects.toMatchObject({ code: '23505', constraint: 'ledger_events_event_id_key' });
    });

    it('settles each append of a group commit on its own, also when the server refuses one of them', async () => {
      const [a, b] = [stream(), stream()];
      // An incompressible stream id too long for a btree entry: PostgreSQL refuses the statement.
      const tooLong = `x-${randomBytes(8000).toString('base64')}`;
      const results = await Promise.allSettled([
        append(nodes[0], a, [ev('A', 1)], 'no_stream'),
        append(nodes[0], tooLong, [ev('T', 1)], 'no_stream'),
        append(nodes[0], b, [ev('B', 1)], 'no_stream'),
        append(nodes[0], a, [ev('A', 2)], 'no_stream'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '54000' });
      expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect((await nodes[1].readStream(a)).map((e) => e.data.n)).toEqual([1]);
      expect(await nodes[1].readStream(b)).toHaveLength(1);
    });

    it('keeps each node within its pool size (PG_POOL_SIZE)', async () => {
      const small = await PostgresEventStore.open({ url, poolSize: 2 });
      try {
        const tag = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        let most = 0;
        const watch = setInterval(() => {
          void admin
            .query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'subscription-ledger' AND pid <> $1",
              [tag.rows[0].pid],
            )
            .then((r) => (most = Math.max(most, Number(r.rows[0].n))), () => undefined);
        }, 5);
        const s = stream();
        await Promise.all([
          ...Array.from({ length: 40 }, () => small.readStream(s)),
          ...Array.from({ length: 40 }, (_, i) => append(small, stream(), [ev('P', i)], 'no_stream')),
        ]);
        clearInterval(watch);
        // The four other nodes' connections count too: at most 4 x 4 of theirs plus 2 of this one.
        expect(most).toBeLessThanOrEqual(4 * 4 + 2);
        const mine = await admin.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'subscription-ledger'",
        );
        expect(Number(mine.rows[0].n)).toBeLessThanOrEqual(4 * 4 + 2);
      } finally {
        await small.close();
      }
    });
  });

  describe('the global log never lets a reader skip an event', () => {
    it('holds later appends (and so every reader) behind an append whose transaction is still open', async () => {
      const before = await nodes[0].headPosition();
      const [held, later] = [stream('held'), stream('later')];
      const heldId = randomUUID();
      // An append whose transaction stays open, exactly as a slow node's group commit would.
      const holder = await admin.connect();
      try {
        await holder.query('BEGIN');
        const { rows } = await holder.query<{ outcome: string; last_position: string }>(
          `SELECT * FROM ledger_append_v1($1, $2, $3, $4, $5, $6, $7, $8)`,
          [[held], ['no_stream'], [1], [at.toISOString()], [heldId], ['Held'], ['{"n":1}'], ['{}']],
        );
        expect(rows[0].outcome).toBe('ok');
        const heldPosition = BigInt(rows[0].last_position);

        let settled = false;
        const second = append(nodes[1], later, [ev('Later', 1)], 'no_stream').finally(() => (settled = true));
        await new Promise((r) => setTimeout(r, 500));
        // The second append waits for the first to commit; nothing after `before` is visible yet.
        expect(settled).toBe(false);
        expect(await nodes[2].readAll({ after: before, maxCount: 100 })).toEqual([]);
        expect(await nodes[2].headPosition()).toBe(before);
        // A checkpointed reader passes everything it can see ...
        const checkpoint = before;

        await holder.query('COMMIT');
        const secondResult = await second;
        expect(secondResult.position > heldPosition).toBe(true);
        // ... and after the late commit still finds the held event, before the later one.
        const seen = (await nodes[2].readAll({ after: checkpoint, maxCount: 100 })).filter((e) => e.streamId === held || e.streamId === later);
        expect(seen.map((e) => [e.streamId, e.position])).toEqual([
          [held, heldPosition],
          [later, secondResult.position],
        ]);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
      }
    });

    it('returns exactly 20,000 events, in order and once each, to a paged reader while writers on four nodes append them', async () => {
      const writersPerNode = 5;
      const perWriter = 1000;
      const streamsPerWriter = 10;
      const total = 4 * writersPerNode * perWriter;
      const start = await nodes[0].headPosition();
      const reader = await PostgresEventStore.open({ url, poolSize: 1 });
      const mine = new Set<string>();
      let writing = true;
      try {
        const writers = Array.from({ length: 4 * writersPerNode }, async (_, w) => {
          const node = nodes[w % 4];
          const streams = Array.from({ length: streamsPerWriter }, () => stream('bulk'));
          streams.forEach((s) => mine.add(s));
          for (let i = 0; i < perWriter; i++) {
            const k = i % streamsPerWriter;
            const revision = Math.floor(i / streamsPerWriter);
            await append(node, streams[k], [ev('Bulk', revision)], revision === 0 ? 'no_stream' : BigInt(revision - 1));
          }
        });
        const seen: RecordedEvent[] = [];
        let pages = 0;
        const paging = (async () => {
          let after = start;
          for (;;) {
            const stillWriting = writing;
            const page = await reader.readAll({ after, maxCount: 500 });
            pages++;
            seen.push(...page);
            if (page.length > 0) after = page[page.length - 1].position;
            else if (!stillWriting) return;
            else await new Promise((r) => setTimeout(r, 2));
          }
        })();
        await Promise.all(writers);
        writing = false;
        await paging;

        const ours = seen.filter((e) => mine.has(e.streamId));
        expect(ours).toHaveLength(total);
        expect(new Set(ours.map((e) => e.eventId)).size).toBe(total);
        for (let i = 1; i < seen.length; i++) expect(seen[i].position > seen[i - 1].position).toBe(true);
        const byStream = new Map<string, number[]>();
        for (const e of ours) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), Number(e.revision)]);
        expect(byStream.size).toBe(mine.size);
        for (const revisions of byStream.values()) expect(revisions).toEqual(Array.from({ length: perWriter / streamsPerWriter }, (_, i) => i));
        // The reader really ran alongside the writers (many pages, not one read at the end).
        expect(pages).toBeGreaterThan(total / 500);
      } finally {
        await reader.close();
      }
    }, 180_000);
  });

  describe('hard delete and erasure', () => {
    it('removes the rows of a deleted stream on every node and keeps it closed to writes from any node', async () => {
      const before = await nodes[0].headPosition();
      const s = stream('erase');
      const events = [ev('A', 1), ev('A', 2), ev('A', 3)];
      await append(nodes[0], s, events, 'no_stream');
      await nodes[1].deleteStream(s);
      expect(await count('SELECT count(*) AS n FROM ledger_events WHERE stream_id = $1', [s])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM ledger_events WHERE event_id = ANY ($1)', [events.map((e) => e.eventId)])).toBe(0);
      expect((await admin.query('SELECT deleted FROM ledger_streams WHERE stream_id = $1', [s])).rows).toEqual([{ deleted: true }]);
      for (const node of nodes) {
        expect(await node.readStream(s)).toEqual([]);
        expect((await node.readAll({ after: before, maxCount: 10_000 })).some((e) => e.streamId === s)).toBe(false);
        await expect(append(node, s, [ev('A', 4)], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
      }
    });

    it('leaves no event of a stream deleted while other nodes keep appending to it', async () => {
      const s = stream('erase-race');
      await append(nodes[0], s, [ev('A', 0)], 'no_stream');
      const appends = Array.from({ length: 60 }, (_, i) => append(nodes[i % 4], s, [ev('A', i + 1)], 'any'));
      await new Promise((r) => setTimeout(r, 5));
      await nodes[0].deleteStream(s);
      const results = await Promise.allSettled(appends);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StreamDeletedError);
      expect(await count('SELECT count(*) AS n FROM ledger_events WHERE stream_id = $1', [s])).toBe(0);
      await expect(append(nodes[3], s, [ev('A', 99)], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
    });
  });

  describe('scanByStream', () => {
    it('reads one REPEATABLE READ snapshot: a delete committed mid-scan does not change what it returns', async () => {
      const own = await freshDatabase('scan');
      const store = await PostgresEventStore.open({ url: own, poolSize: 2 });
      try {
        const streams = ['s1', 's2', 's3', 's4', 's5'];
        for (const s of streams) await append(store, s, [0, 1, 2, 3].map((n) => ev('S', n)), 'no_stream');
        const upTo = await store.headPosition();
        const seen: RecordedEvent[] = [];
        let batches = 0;
        for await (const batch of store.scanByStream!({ upTo, batch: 3 })) {
          seen.push(...batch);
          if (++batches === 1) {
            // Another node erases the last stream and writes more while the scan is half-way.
            const other = await PostgresEventStore.open({ url: own, poolSize: 1 });
            await other.deleteStream('s5');
            await append(other, 's0', [ev('S', 0)], 'no_stream');
            await other.close();
            expect(await store.readStream('s5')).toEqual([]);
          }
        }
        expect(seen.map((e) => `${e.streamId}:${e.revision}`)).toEqual(streams.flatMap((s) => [0, 1, 2, 3].map((n) => `${s}:${n}`)));
      } finally {
        await store.close();
      }
    });

    it('gives its connection back when the consumer stops early', async () => {
      const store = await PostgresEventStore.open({ url, poolSize: 1 });
      try {
        const upTo = await store.headPosition();
        for (let i = 0; i < 3; i++) {
          for await (const batch of store.scanByStream!({ upTo, batch: 2 })) {
            expect(batch.length).toBe(2);
            break;
          }
        }
        // With the only connection leaked this would wait for ever.
        expect(await store.headPosition()).toBe(upTo);
      } finally {
        await store.close();
      }
    });
  });

  it('announces each commit that appended events on the ledger_events channel, with the new head', async () => {
    const listener = new Client({ connectionString: url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === 'ledger_events' && n.payload) heard.push(n.payload);
      });
      await listener.query('LISTEN ledger_events');
      const r = await append(nodes[2], stream(), [ev('N', 1), ev('N', 2)], 'no_stream');
      for (let i = 0; i < 100 && !heard.includes(r.position.toString()); i++) await new Promise((res) => setTimeout(res, 10));
      expect(heard).toContain(r.position.toString());
    } finally {
      await listener.end();
    }
  });
});
