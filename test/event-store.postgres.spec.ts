import { eventStoreContract } from '../src/event-store/contract/event-store.contract';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { freshDatabase } from './support/postgres';

/** The shared contract on a fresh database of the run's throwaway PostgreSQL cluster. */
let url: string;
beforeAll(async () => {
  url = await freshDatabase('contract');
}, 120_000);

eventStoreContract('postgres', async () => PostgresEventStore.open({ url }), {
  reopen: async () => PostgresEventStore.open({ url }),
});
