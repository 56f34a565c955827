import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
  StreamDeletedError,
  WrongExpectedRevisionError,
} from '../event-store.port';

export interface ContractOptions {
  /** Opens a second store on the same data (a restart). */
  reopen?: () => Promise<EventStore>;
  /**
   * EventStoreDB answers a duplicate event id with its idempotent-write check (the append succeeds
   * and writes nothing) instead of an error; every other adapter rejects it.
   */
  duplicateIdsAreIdempotent?: boolean;
}

/**
 * The behaviour every adapter must share. Each test uses fresh stream names, so the suite
 * also runs against a long-lived server that already holds other data.
 */
export function eventStoreContract(name: string, open: () => Promise<EventStore>, options: ContractOptions = {}): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    const stream = (prefix = 'contract') => `${prefix}-${randomUUID()}`;
    const ev = (type: string, n: number): EventToAppend => ({ eventId: randomUUID(), type, data: { n }, metadata: { source: 'contract' } });
    const at = new Date('2026-03-03T14:00:00.123Z');
    const append = (s: string, events: EventToAppend[], expected: ExpectedRevision, recordedAt = at) =>
      store.append(s, events, { expected, recordedAt });

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('appends to a new stream with no_stream and reads it back in order, with the given ids and instant', async () => {
      const s = stream();
      const events = [ev('A', 1), ev('B', 2)];
      const r = await append(s, events, 'no_stream');
      expect(r.nextExpectedRevision).toBe(1n);
      const read = await store.readStream(s);
      expect(read.map((e) => [e.type, e.data.n, e.revision])).toEqual([
        ['A', 1, 0n],
        ['B', 2, 1n],
      ]);
      expect(read[1].position).toBe(r.position);
      expect(read[0].metadata).toEqual({ source: 'contract' });
      expect(read.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
      expect(read.map((e) => e.recordedAt.toISOString())).toEqual([at.toISOString(), at.toISOString()]);
    });

    it('rejects no_stream on an existing stream', async () => {
      const s = stream();
      await append(s, [ev('A', 1)], 'no_stream');
      await expect(append(s, [ev('A', 2)], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('appends with the exact expected revision and rejects a stale one', async () => {
      const s = stream();
      const first = await append(s, [ev('A', 1)], 'no_stream');
      const second = await append(s, [ev('A', 2)], first.nextExpectedRevision);
      expect(second.nextExpectedRevision).toBe(1n);
      await expect(append(s, [ev('A', 3)], first.nextExpectedRevision)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(append(stream(), [ev('A', 1)], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('appends with any regardless of state', async () => {
      const s = stream();
      await append(s, [ev('A', 1)], 'any');
      const r = await append(s, [ev('A', 2)], 'any');
      expect(r.nextExpectedRevision).toBe(1n);
    });

    it('appends with stream_exists only to a stream that has events', async () => {
      const s = stream();
      await expect(append(s, [ev('A', 1)], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(s)).toEqual([]);
      await append(s, [ev('A', 1)], 'no_stream');
      const r = await append(s, [ev('A', 2)], 'stream_exists');
      expect(r.nextExpectedRevision).toBe(1n);
    });

    it('lets exactly one of many concurrent appends at one revision win', async () => {
      const s = stream();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => append(s, [ev('A', i)], 'no_stream')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('never appends an event id twice', async () => {
      const s = stream();
      const e = ev('A', 1);
      await append(s, [e], 'no_stream');
      const other = stream();
      if (options.duplicateIdsAreIdempotent) {
        await append(s, [e], 0n).catch(() => undefined);
      } else {
        // Whatever the expected revision, on the same stream or another one, alone or in a batch.
        await expect(append(s, [e], 0n)).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(append(other, [ev('B', 1), e], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
        const twice = ev('C', 1);
        await expect(append(other, [twice, twice], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(other)).toEqual([]);
      }
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('reads a stream from a revision', async () => {
      const s = stream();
      await append(s, [ev('A', 0), ev('A', 1), ev('A', 2)], 'no_stream');
      expect((await store.readStream(s, 1n)).map((e) => e.data.n)).toEqual([1, 2]);
      expect(await store.readStream(s, 3n)).toEqual([]);
      expect((await store.readStream(s, 0n, 2)).map((e) => e.data.n)).toEqual([0, 1]);
      expect((await store.readStream(s, 2n, 5)).map((e) => e.data.n)).toEqual([2]);
    });

    it('reads a missing stream as empty', async () => {
      expect(await store.readStream(stream())).toEqual([]);
    });

    it('reads the global log in commit order after a position', async () => {
      const head = await store.headPosition();
      const a = stream();
      const b = stream();
      await append(a, [ev('A', 1)], 'no_stream');
      await append(b, [ev('B', 1)], 'no_stream');
      await append(a, [ev('A', 2)], 0n);
      const all = await store.readAll({ after: head, maxCount: 1000 });
      const mine = all.filter((e) => e.streamId === a || e.streamId === b);
      expect(mine.map((e) => `${e.type}${e.data.n}`)).toEqual(['A1', 'B1', 'A2']);
      for (let i = 1; i < all.length; i++) expect(all[i].position > all[i - 1].position).toBe(true);
      expect(await store.headPosition()).toBe(all[all.length - 1].position);
      const page = await store.readAll({ after: mine[0].position, maxCount: 1 });
      expect(page).toHaveLength(1);
      expect(page[0].position > mine[0].position).toBe(true);
    });

    it('never lets a paging reader skip or repeat an event while many writers append', async () => {
      const streams = Array.from({ length: 40 }, () => stream('race'));
      const perStream = 25;
      const start = await store.headPosition();
      let writing = true;
      const writers = streams.map(async (s) => {
        for (let i = 0; i < perStream; i++) await append(s, [ev('R', i)], i === 0 ? 'no_stream' : BigInt(i - 1));
      });
      const seen: RecordedEvent[] = [];
      const reader = (async () => {
        let after = start;
        for (;;) {
          const stillWriting = writing;
          const page = await store.readAll({ after, maxCount: 97 });
          seen.push(...page);
          if (page.length > 0) after = page[page.length - 1].position;
          else if (!stillWriting) return;
          else await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await Promise.all(writers);
      writing = false;
      await reader;
      const mine = seen.filter((e) => streams.includes(e.streamId));
      expect(mine).toHaveLength(streams.length * perStream);
      expect(new Set(mine.map((e) => e.eventId)).size).toBe(mine.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i].position > seen[i - 1].position).toBe(true);
      for (const s of streams) {
        expect(mine.filter((e) => e.streamId === s).map((e) => e.data.n)).toEqual(Array.from({ length: perStream }, (_, i) => i));
      }
    }, 60_000);

    it('hard-deletes a stream: it reads empty, leaves the global log and cannot be written again', async () => {
      const before = await store.headPosition();
      const s = stream();
      const kept = stream();
      await append(s, [ev('A', 1)], 'no_stream');
      await append(kept, [ev('K', 1)], 'no_stream');
      await store.deleteStream(s);
      expect(await store.readStream(s)).toEqual([]);
      const log = await store.readAll({ after: before, maxCount: 1000 });
      expect(log.some((e) => e.streamId === s)).toBe(false);
      expect(log.some((e) => e.streamId === kept)).toBe(true);
      await expect(append(s, [ev('A', 2)], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
      await store.deleteStream(s);
    });

    it('tombstones a stream that never existed', async () => {
      const s = stream();
      await store.deleteStream(s);
      expect(await store.readStream(s)).toEqual([]);
      await expect(append(s, [ev('A', 1)], 'no_stream')).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(append(s, [ev('A', 1)], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
    });

    it('scans by stream, then revision, up to a position (when the adapter can)', async () => {
      if (!store.scanByStream) return;
      const a = stream('scan-b');
      const b = stream('scan-a');
      await append(a, [ev('A', 0)], 'no_stream');
      await append(b, [ev('B', 0)], 'no_stream');
      const r = await append(a, [ev('A', 1)], 0n);
      await append(b, [ev('B', 1)], 0n);
      const seen: RecordedEvent[] = [];
      for await (const batch of store.scanByStream({ upTo: r.position, batch: 3 })) {
        expect(batch.length).toBeLessThanOrEqual(3);
        seen.push(...batch);
      }
      for (let i = 1; i < seen.length; i++) {
        const [x, y] = [seen[i - 1], seen[i]];
        expect(x.streamId < y.streamId || (x.streamId === y.streamId && x.revision < y.revision)).toBe(true);
        expect(y.position <= r.position).toBe(true);
      }
      expect(seen.filter((e) => e.streamId === a).map((e) => e.data.n)).toEqual([0, 1]);
      // b's second event comes after `upTo`.
      expect(seen.filter((e) => e.streamId === b).map((e) => e.data.n)).toEqual([0]);
      // Resuming after a stream starts with the next one.
      const resumed: RecordedEvent[] = [];
      for await (const batch of store.scanByStream({ upTo: r.position, batch: 100, afterStream: b })) resumed.push(...batch);
      expect(resumed.some((e) => e.streamId <= b)).toBe(false);
      expect(resumed.filter((e) => e.streamId === a).map((e) => e.data.n)).toEqual([0, 1]);
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('keeps appended events across a close and reopen', async () => {
        const s = stream();
        await append(s, [ev('A', 1), ev('A', 2)], 'no_stream');
        await store.close();
        store = await reopen();
        expect((await store.readStream(s)).map((e) => e.data.n)).toEqual([1, 2]);
      });
    }
  });
}
