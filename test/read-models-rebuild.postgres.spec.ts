/**
 * The PostgreSQL rebuild's moving parts: an interrupted scan resumes after the last stream it wrote
 * (and ends as a clean scan would), and the swap only happens at one position, refusing afterwards
 * any batch computed from the tables it replaced.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { EventStore, RecordedEvent, ScanOptions } from '../src/event-store/event-store.port';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { createPostgresPool } from '../src/postgres/postgres-pool';
import { LIVE, SCRATCH } from '../src/projections/postgres/postgres-read-model-schema';
import { PostgresReadModelWriter } from '../src/projections/postgres/postgres-read-models';
import { derivedRows, PostgresScratch, swapIn } from '../src/projections/postgres/postgres-rebuild';
import { projectUntil, SILENT } from '../src/projections/rebuild/rebuild-progress';
import { freshDatabase } from './support/postgres';

jest.setTimeout(120_000);

const APPS = 5_600;

describe('PostgreSQL rebuild', () => {
  let store: PostgresEventStore;
  let pool: Pool;
  let head: bigint;

  beforeAll(async () => {
    const url = await freshDatabase('rebuild');
    store = await PostgresEventStore.open({ url, poolSize: 4 });
    pool = createPostgresPool({ url, size: 4, applicationName: 'rebuild spec' });
    // One webhook endpoint per app: as many streams (and derived rows) as a scan writes in one transaction, and more.
    const results = await Promise.all(
      Array.from({ length: APPS }, (_, i) =>
        store.append(
          `webhook-endpoints-app${String(i).padStart(5, '0')}`,
          [
            {
              eventId: randomUUID(),
              type: 'WebhookEndpointCreated',
              data: { id: `ep-${i}`, url: `https://hooks.example.com/${i}`, authorization: null, event_types: null, environment: null, secret: 'whsec_x', created_at: '2026-03-03T14:00:00.000Z' },
              metadata: {},
            },
          ],
          { expected: 'no_stream', recordedAt: new Date() },
        ),
      ),
    );
    head = results.reduce((max, r) => (r.position > max ? r.position : max), 0n);
  });
  afterAll(async () => {
    await pool?.end();
    await store?.close();
  });

  it('resumes an interrupted scan after the last stream it wrote, and ends where a clean scan does', async () => {
    const scratch = await PostgresScratch.open(pool, SCRATCH);
    // The same log, cut off mid-scan as a killed process would be (after the first transaction of rows).
    const interrupted = {
      async *scanByStream(options: ScanOptions): AsyncIterable<RecordedEvent[]> {
        let seen = 0;
        for await (const batch of store.scanByStream(options)) {
          for (let i = 0; i < batch.length; i += 500) {
            yield batch.slice(i, i + 500);
            seen += Math.min(500, batch.length - i);
            if (seen >= 5_500) throw new Error('killed');
          }
        }
      },
    } as unknown as EventStore;
    await expect(scratch.scan(interrupted, head, SILENT)).rejects.toThrow('killed');
    expect(await scratch.checkpoint()).toBe(-1n);
    const partial = (await derivedRows(pool, SCRATCH)).get('endpoints')!;
    expect(partial.size).toBe(5_000);

    const resumed = await scratch.scan(store, head, SILENT);
    expect(resumed).toBe(APPS - 5_000);
    expect(await scratch.checkpoint()).toBe(head);
    const rows = (await derivedRows(pool, SCRATCH)).get('endpoints')!;
    expect(rows.size).toBe(APPS);

    // What the projector derives, row for row.
    const live = await PostgresReadModelWriter.onPool(pool);
    await projectUntil(store, live, head);
    expect(await derivedRows(pool, LIVE)).toEqual(await derivedRows(pool, SCRATCH));
    await scratch.drop();
  });

  it('swaps only at one position, and refuses afterwards a batch computed before the swap', async () => {
    const live = await PostgresReadModelWriter.onPool(pool);
    await projectUntil(store, live, head);
    const scratch = await PostgresScratch.open(pool, SCRATCH);
    await scratch.scan(store, head - 1n, SILENT);
    expect(await swapIn(pool, scratch)).toBe(false);
    await projectUntil(store, scratch.writer(), head);
    expect(await scratch.checkpoint()).toBe(head);

    const empty = { profiles: [], removedProfiles: [], endpoints: [], removedEndpoints: [], deliveries: [], stopped: [] };
    const node = await PostgresReadModelWriter.onPool(pool);
    expect(await node.checkpoint()).toBe(head);
    expect(await swapIn(pool, scratch)).toBe(true);
    expect(await node.commit({ ...empty, from: head, to: head })).toBeNull();
    expect(await node.checkpoint()).toBe(head);
    expect(await node.commit({ ...empty, from: head, to: head })).toEqual({ enqueued: [] });
    await scratch.drop();
  });
});
