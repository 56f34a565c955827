import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '../src/event-store/contract/event-store.contract';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';

const dir = mkdtempSync(join(tmpdir(), 'ledger-contract-'));
const path = join(dir, 'events.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('sqlite', () => SqliteEventStore.open({ path }), {
  reopen: () => SqliteEventStore.open({ path }),
});
