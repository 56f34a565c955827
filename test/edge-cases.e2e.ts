import { expectEnvelope, PROFILE } from './support/fixtures';
import { call, RunningLedger, startLedger } from './support/ledger-server';

/** Input that once slipped past the envelope or the custom-attribute rules. */
describe('edge cases of input', () => {
  let ledger: RunningLedger;

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  it('an over-long path parameter gets the Adapty error envelope', async () => {
    const r = await call(ledger.url, { method: 'PUT', path: `/admin/v1/access-levels/${'x'.repeat(101)}` });
    expectEnvelope(r);
    expect(r.body.error_code).toBe('validation_error');
  });

  it('a malformed percent-encoding in a path parameter gets the Adapty error envelope', async () => {
    const r = await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/%E0%A4%A' });
    expectEnvelope(r);
    expect(r.body.error_code).toBe('validation_error');
  });

  it('a custom attribute named __proto__ is either stored or refused, never silently dropped', async () => {
    await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'proto-key', body: {} });
    const r = await call(ledger.url, {
      method: 'PATCH',
      path: PROFILE,
      customerUserId: 'proto-key',
      body: { custom_attributes: [{ key: '__proto__', value: 'x' }] },
    });
    if (r.status === 200) {
      expect(r.body.data.custom_attributes).toEqual([{ key: '__proto__', value: 'x' }]);
      const read = await call(ledger.url, { path: PROFILE, customerUserId: 'proto-key' });
      expect(read.body.data.custom_attributes).toEqual([{ key: '__proto__', value: 'x' }]);
    } else {
      expectEnvelope(r);
      expect(r.status).toBe(400);
    }
  });
});
