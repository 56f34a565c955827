import { call, startLedger } from './support/ledger-server';
it('dbg', async () => {
  const l = await startLedger();
  const r1 = await call(l.url, { method: 'POST', path: '/api/v1/sdk/profiles/', body: { customer_user_id: 'x', email: 'a@b.co' } });
  console.log(JSON.stringify(r1.body));
  const r = await call(l.url, { path: '/api/v1/sdk/profiles/x/?extended=true' });
  console.log(JSON.stringify(r.body));
  await l.close();
});
