/**
 * Issue 13: receivers written to Adapty's webhook guide, unchanged. The current guide's receiver
 * treats `{}` as the verification request, answers 401 to a wrong Authorization value and 400 to a
 * body without `event_type`; the older guide's receiver echoes `{"adapty_check": x}`.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CommandContext } from '../src/application/shared/command-context';
import { EndpointRepository } from '../src/application/shared/repositories';
import { endpointsStreamId } from '../src/domain/webhooks/webhook-endpoint';
import { GRANT, PROFILE } from './support/fixtures';
import { call, RunningLedger, startLedger } from './support/ledger-server';

// Attempts 0 s, 0.2 s, 0.2 s, 0.2 s apart: a retried delivery is sent 4 times within about a second.
const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2', WEBHOOK_POLL_MS: '20' };
const TOKEN = 'Bearer adapty-guide-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hit {
  headers: IncomingHttpHeaders;
  body: any;
  answered: number;
}

/** A receiver as Adapty's guides describe it; `form` picks the guide. */
class GuideReceiver {
  readonly hits: Hit[] = [];
  /** How many events to answer 503 before accepting them (a receiver having a bad minute). */
  unavailableFor = 0;
  private server?: Server;

  constructor(private readonly form: 'current' | 'older') {}

  private answer(headers: IncomingHttpHeaders, body: any): [number, unknown] {
    if (headers.authorization !== TOKEN) return [401, { error: 'invalid authorization' }];
    if (this.form === 'older' && body && typeof body.adapty_check === 'string') return [200, { adapty_check_response: body.adapty_check }];
    if (this.form === 'current' && body && typeof body === 'object' && Object.keys(body).length === 0) return [200, {}];
    if (!body || typeof body.event_type !== 'string') return [400, { error: 'event_type is required' }];
    if (this.unavailableFor > 0) {
      this.unavailableFor -= 1;
      return [503, { error: 'try later' }];
    }
    return [200, { received: true }];
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        let body: any = null;
        try {
          body = JSON.parse(raw);
        } catch {
          /* answered 400 below */
        }
        const [status, reply] = this.answer(req.headers, body);
        this.hits.push({ headers: req.headers, body, answered: status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/adapty-webhook`;
  }

  events(profileId: string): Hit[] {
    return this.hits.filter((h) => h.body?.profile_id === profileId);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

describe("webhooks: Adapty's handshake and retry rules, with receivers written to Adapty's guides", () => {
  let ledger: RunningLedger;
  const current = new GuideReceiver('current');
  const older = new GuideReceiver('older');
  let currentUrl: string;
  let olderUrl: string;

  const createEndpoint = (body: Record<string, unknown>, key?: string) => call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body, key });
  const patch = (id: string, body: Record<string, unknown>, key?: string) => call(ledger.url, { method: 'PATCH', path: `/admin/v1/webhook-endpoints/${id}`, body, key });
  const remove = (id: string, key?: string) => call(ledger.url, { method: 'DELETE', path: `/admin/v1/webhook-endpoints/${id}`, key });
  const grant = async (user: string, key?: string): Promise<string> => {
    const created = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: user, body: {}, key });
    expect((await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: user, body: { access_level_id: 'premium' }, key })).status).toBe(200);
    return created.body.data.profile_id;
  };
  const deliveryOf = async (endpointId: string, profileId: string, key?: string) => {
    const list = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpointId}/deliveries`, key });
    expect(list.status).toBe(200);
    return list.body.data.find((d: { profile_id: string }) => d.profile_id === profileId);
  };
  async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  }

  beforeAll(async () => {
    ledger = await startLedger({ env: FAST });
    currentUrl = await current.start();
    olderUrl = await older.start();
    for (const key of [undefined, 'secret_app2_key']) {
      await call(ledger.url, { method: 'PUT', path: '/admin/v1/access-levels/premium', key });
    }
  });

  afterAll(async () => {
    await ledger.close();
    await current.stop();
    await older.stop();
  });

  it("subscribes a receiver written to Adapty's current guide: {} with the Authorization value, any 2xx accepted", async () => {
    const before = current.hits.length;
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN });
    expect(created.status).toBe(201);
    expect(created.body.data.verification).toBe('empty');
    const handshake = current.hits.slice(before);
    expect(handshake).toHaveLength(1);
    expect(handshake[0]).toMatchObject({ body: {}, answered: 200 });
    expect(handshake[0].headers.authorization).toBe(TOKEN);
    expect(handshake[0].headers['content-type']).toBe('application/json');
    await remove(created.body.data.id);
  });

  it("refuses that receiver with the older form, since it answers 400 to a body without event_type", async () => {
    const refused = await createEndpoint({ url: currentUrl, authorization: TOKEN, verification: 'adapty_check' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error_code: 'webhook_verification_failed', status_code: 400 });
    expect(refused.body.errors[0]).toMatchObject({ source: 'url' });
    expect(refused.body.errors[0].errors[0]).toMatch(/HTTP 400/);
    expect(current.hits.at(-1)).toMatchObject({ answered: 400, body: { adapty_check: expect.stringMatching(/^[0-9a-f]{24}$/) } });
    expect((await call(ledger.url, { path: '/admin/v1/webhook-endpoints' })).body.data).toEqual([]);
  });

  it('a wrong Authorization value: one attempt, the delivery is rejected with the status and a body excerpt, no retry; redeliverable by hand', async () => {
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    // Changing only the Authorization value sends no handshake, so the wrong value is saved.
    const handshakes = current.hits.length;
    expect((await patch(id, { authorization: 'Bearer stale-token' })).status).toBe(200);
    expect(current.hits.length).toBe(handshakes);

    const profileId = await grant('guide-wrong-auth');
    const rejected = await until(async () => {
      const d = await deliveryOf(id, profileId);
      return d?.status === 'rejected' ? d : undefined;
    }, 'the delivery to be rejected');
    // Wait well past the whole retry schedule (0.6 s) and the poll interval: nothing is sent again.
    await sleep(1500);
    const attempts = current.events(profileId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ answered: 401 });
    expect(attempts[0].headers.authorization).toBe('Bearer stale-token');
    expect(await deliveryOf(id, profileId)).toEqual({
      ...rejected,
      status: 'rejected',
      attempts: 1,
      last_response_status: 401,
      last_response_excerpt: '{"error":"invalid authorization"}',
      last_error: 'endpoint answered HTTP 401: rejected, not retried (3xx-404 ends a delivery)',
      next_attempt_at: null,
      delivered_at: null,
    });

    expect((await patch(id, { authorization: TOKEN })).status).toBe(200);
    const again = await call(ledger.url, { method: 'POST', path: `/admin/v1/webhook-deliveries/${rejected.id}/redeliver` });
    expect(again.status).toBe(202);
    const delivered = await until(async () => {
      const d = await deliveryOf(id, profileId);
      return d?.status === 'delivered' ? d : undefined;
    }, 'the redelivery');
    expect(delivered).toMatchObject({ attempts: 1, last_response_status: 200, last_response_excerpt: null, last_error: null });
    const all = current.events(profileId);
    expect(all.map((h) => h.answered)).toEqual([401, 200]);
    expect(all[1].headers['webhook-id']).toBe(all[0].headers['webhook-id']);
    await remove(id);
  });

  it('a 503 is retried on the schedule with the same webhook-id until it is delivered', async () => {
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN });
    const id = created.body.data.id;
    current.unavailableFor = 2;
    const profileId = await grant('guide-unavailable');
    const delivered = await until(async () => {
      const d = await deliveryOf(id, profileId);
      return d?.status === 'delivered' ? d : undefined;
    }, 'the delivery after two 503s');
    expect(delivered).toMatchObject({ attempts: 3, last_response_status: 200 });
    const attempts = current.events(profileId);
    expect(attempts.map((h) => h.answered)).toEqual([503, 503, 200]);
    expect(new Set(attempts.map((h) => h.headers['webhook-id'])).size).toBe(1);
    await remove(id);
  });

  it('a 503 on every attempt ends as failed, not rejected', async () => {
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN });
    const id = created.body.data.id;
    current.unavailableFor = 100;
    try {
      const profileId = await grant('guide-down');
      const failed = await until(async () => {
        const d = await deliveryOf(id, profileId);
        return d?.status === 'failed' ? d : undefined;
      }, 'the delivery to fail');
      expect(failed).toMatchObject({ attempts: 4, last_response_status: 503, last_error: 'HTTP 503', last_response_excerpt: '{"error":"try later"}' });
      expect(current.events(profileId)).toHaveLength(4);
    } finally {
      current.unavailableFor = 0;
    }
    await remove(id);
  });

  it('an older-form receiver still subscribes with "verification": "adapty_check" and gets its events', async () => {
    const key = 'secret_app2_key';
    const byDefault = await createEndpoint({ url: olderUrl, authorization: TOKEN }, key);
    expect(byDefault.status).toBe(400);
    expect(byDefault.body.error_code).toBe('webhook_verification_failed');
    expect(older.hits.at(-1)).toMatchObject({ body: {}, answered: 400 });

    const created = await createEndpoint({ url: olderUrl, authorization: TOKEN, verification: 'adapty_check' }, key);
    expect(created.status).toBe(201);
    expect(created.body.data.verification).toBe('adapty_check');
    const handshake = older.hits.at(-1)!;
    expect(handshake.answered).toBe(200);
    expect(handshake.body).toEqual({ adapty_check: expect.stringMatching(/^[0-9a-f]{24}$/) });

    const profileId = await grant('guide-older', key);
    await until(async () => (older.events(profileId).length ? true : undefined), 'the older receiver to get the event');
    expect(older.events(profileId).map((h) => [h.body.event_type, h.answered])).toEqual([['access_level_updated', 200]]);
    await remove(created.body.data.id, key);
  });

  it('refuses an adapty_check answer that does not echo the check string', async () => {
    const liar = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"adapty_check_response":"something else"}'));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/`;
      const refused = await createEndpoint({ url, verification: 'adapty_check' });
      expect(refused.status).toBe(400);
      expect(refused.body.error_code).toBe('webhook_verification_failed');
      expect(refused.body.errors[0].errors[0]).toMatch(/did not answer \{"adapty_check_response"/);
      // The same answer is fine for the current form: any 2xx.
      const accepted = await createEndpoint({ url });
      expect(accepted.status).toBe(201);
      await remove(accepted.body.data.id);
    } finally {
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });

  it('"verification": "none" sends no request when the endpoint is saved', async () => {
    const before = current.hits.length;
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN, verification: 'none' });
    expect(created.status).toBe(201);
    expect(created.body.data.verification).toBe('none');
    await sleep(100);
    expect(current.hits.length).toBe(before);
    await remove(created.body.data.id);
  });

  it('a PATCH that changes the URL or the form verifies again; a refused PATCH changes nothing', async () => {
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN, event_types: ['access_level_updated'] });
    const id = created.body.data.id;
    const count = () => current.hits.length + older.hits.length;

    let before = count();
    expect((await patch(id, { event_types: null, environment: 'Production' })).status).toBe(200);
    expect(count()).toBe(before);

    const toOlderForm = await patch(id, { verification: 'adapty_check' });
    expect(toOlderForm.status).toBe(400);
    expect(toOlderForm.body.error_code).toBe('webhook_verification_failed');
    expect(current.hits.at(-1)).toMatchObject({ answered: 400, body: { adapty_check: expect.any(String) } });

    const toOlderReceiver = await patch(id, { url: olderUrl });
    expect(toOlderReceiver.status).toBe(400);
    expect(older.hits.at(-1)).toMatchObject({ answered: 400, body: {} });
    const unchanged = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${id}` });
    expect(unchanged.body.data).toMatchObject({ url: currentUrl, verification: 'empty', event_types: null, environment: 'Production' });

    before = older.hits.length;
    const both = await patch(id, { url: olderUrl, verification: 'adapty_check' });
    expect(both.status).toBe(200);
    expect(both.body.data).toMatchObject({ url: olderUrl, verification: 'adapty_check' });
    expect(older.hits.slice(before)).toEqual([expect.objectContaining({ answered: 200, body: { adapty_check: expect.any(String) } })]);

    before = count();
    expect((await patch(id, { verification: 'none' })).body.data.verification).toBe('none');
    expect(count()).toBe(before);
    await remove(id);
  });

  it('refuses an unknown or null verification value with a validation error', async () => {
    for (const verification of ['adapty', null, 1]) {
      const r = await createEndpoint({ url: currentUrl, verification });
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('validation_error');
    }
    const created = await createEndpoint({ url: currentUrl, authorization: TOKEN });
    for (const body of [{ verification: null }, { verification: 'sometimes' }, { url: null }, { enabled: null }]) {
      const r = await patch(created.body.data.id, body);
      expect(r.status).toBe(400);
      expect(r.body.error_code).toBe('validation_error');
    }
    await remove(created.body.data.id);
  });

  it('an endpoint created before the choice existed (no verification in its event) loads with the default form', async () => {
    const endpoints = ledger.app.get(EndpointRepository);
    const context = ledger.app.get(CommandContext);
    const legacy = {
      id: 'legacy-endpoint',
      url: currentUrl,
      authorization: TOKEN,
      event_types: null,
      environment: null,
      secret: 'whsec_bGVnYWN5LWVuZHBvaW50LXNlY3JldC0xMjM0NTY3OA==',
      created_at: new Date().toISOString(),
    };
    const result = await endpoints.execute(endpointsStreamId('app1'), () => [{ type: 'WebhookEndpointCreated', data: legacy }], context.metadata({ appId: 'app1', source: 'test.legacy' }));
    expect(result.ok).toBe(true);
    const got = await call(ledger.url, { path: '/admin/v1/webhook-endpoints/legacy-endpoint' });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ id: 'legacy-endpoint', verification: 'empty', enabled: true });
    await remove('legacy-endpoint');
  });
});
