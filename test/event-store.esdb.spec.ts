import { eventStoreContract } from '../src/event-store/contract/event-store.contract';
import { EventStoreDbEventStore } from '../src/event-store/eventstoredb/eventstoredb-event-store';

/**
 * Runs the shared EventStore contract against a live EventStoreDB, e.g.
 *   docker compose up -d eventstore
 *   EVENTSTORE_TEST_URL='esdb://localhost:2113?tls=false' npx jest test/event-store.esdb.spec.ts
 * Every contract test uses fresh stream names, so a long-lived server with other data is fine.
 */
const url = process.env.EVENTSTORE_TEST_URL;

if (url) {
  eventStoreContract('eventstoredb', async () => new EventStoreDbEventStore(url), {
    reopen: async () => new EventStoreDbEventStore(url),
    duplicateIdsAreIdempotent: true,
  });
} else {
  describe.skip('EventStore contract: eventstoredb (skipped: set EVENTSTORE_TEST_URL=esdb://… to run)', () => {
    it('passes the EventStore contract against a live EventStoreDB', () => undefined);
  });
}
