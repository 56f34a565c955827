import { randomUUID } from 'node:crypto';
import { EventStore, StreamDeletedError, WrongExpectedRevisionError } from '../event-store.port';

/**
 * The behaviour every adapter must share. Each test uses fresh stream names, so the suite
 * also runs against a long-lived server that already holds other data.
 */
export function eventStoreContract(
  name: string,
  open: () => Promise<EventStore>,
  options: { reopen?: () => Promise<EventStore> } = {},
): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    const stream = (prefix = 'contract') => `${prefix}-${randomUUID()}`;
    const ev = (type: string, n: number) => ({ type, data: { n }, metadata: { source: 'contract' } });

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('appends to a new stream with no_stream and reads it back in order', async () => {
      const s = stream();
      const r = await store.append(s, [ev('A', 1), ev('B', 2)], 'no_stream');
      expect(r.nextExpectedRevision).toBe(1n);
      const events = await store.readStream(s);
      expect(events.map((e) => [e.type, e.data.n, e.revision])).toEqual([
        ['A', 1, 0n],
        ['B', 2, 1n],
      ]);
      expect(events[1].position).toBe(r.position);
      expect(events[0].metadata).toEqual({ source: 'contract' });
      expect(events[0].recordedAt).toBeInstanceOf(Date);
      expect(events[0].eventId).not.toBe(events[1].eventId);
    });

    it('rejects no_stream on an existing stream', async () => {
      const s = stream();
      await store.append(s, [ev('A', 1)], 'no_stream');
      await expect(store.append(s, [ev('A', 2)], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('appends with the exact expected revision and rejects a stale one', async () => {
      const s = stream();
      const first = await store.append(s, [ev('A', 1)], 'no_stream');
      const second = await store.append(s, [ev('A', 2)], first.nextExpectedRevision);
      expect(second.nextExpectedRevision).toBe(1n);
      await expect(store.append(s, [ev('A', 3)], first.nextExpectedRevision)).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await expect(store.append(stream(), [ev('A', 1)], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('appends with any regardless of state', async () => {
      const s = stream();
      await store.append(s, [ev('A', 1)], 'any');
      const r = await store.append(s, [ev('A', 2)], 'any');
      expect(r.nextExpectedRevision).toBe(1n);
    });

    it('lets exactly one of many concurrent appends at one revision win', async () => {
      const s = stream();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.append(s, [ev('A', i)], 'no_stream')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect(await store.readStream(s)).toHaveLength(1);
    });

    it('reads a stream from a revision', async () => {
      const s = stream();
      await store.append(s, [ev('A', 0), ev('A', 1), ev('A', 2)], 'no_stream');
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
      await store.append(a, [ev('A', 1)], 'no_stream');
      await store.append(b, [ev('B', 1)], 'no_stream');
      await store.append(a, [ev('A', 2)], 0n);
      const all = await store.readAll({ after: head, maxCount: 1000 });
      const mine = all.filter((e) => e.streamId === a || e.streamId === b);
      expect(mine.map((e) => `${e.type}${e.data.n}`)).toEqual(['A1', 'B1', 'A2']);
      for (let i = 1; i < all.length; i++) expect(all[i].position > all[i - 1].position).toBe(true);
      expect(await store.headPosition()).toBe(all[all.length - 1].position);
      const page = await store.readAll({ after: mine[0].position, maxCount: 1 });
      expect(page).toHaveLength(1);
      expect(page[0].position > mine[0].position).toBe(true);
    });

    it('hard-deletes a stream: it reads empty and cannot be written again', async () => {
      const s = stream();
      await store.append(s, [ev('A', 1)], 'no_stream');
      await store.deleteStream(s);
      expect(await store.readStream(s)).toEqual([]);
      await expect(store.append(s, [ev('A', 2)], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('keeps appended events across a close and reopen', async () => {
        const s = stream();
        await store.append(s, [ev('A', 1), ev('A', 2)], 'no_stream');
        await store.close();
        store = await reopen();
        expect((await store.readStream(s)).map((e) => e.data.n)).toEqual([1, 2]);
      });
    }
  });
}
