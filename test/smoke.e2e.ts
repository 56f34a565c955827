import { call, RunningLedger, startLedger, V2 } from './support/ledger-server';

describe('smoke: a profile over real HTTP', () => {
  let ledger: RunningLedger;
  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  it('creates, reads and deletes a profile', async () => {
    const created = await call(ledger.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: 'smoke-1', body: {} });
    expect(created.status).toBe(200);
    expect(created.body.data.customer_user_id).toBe('smoke-1');
    const read = await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'smoke-1' });
    expect(read.body.data.profile_id).toBe(created.body.data.profile_id);
    const deleted = await call(ledger.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: 'smoke-1' });
    expect(deleted.status).toBe(204);
    expect((await call(ledger.url, { path: `${V2}/profile/`, customerUserId: 'smoke-1' })).status).toBe(404);
  });
});
