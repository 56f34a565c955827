/**
 * Issue 8, SSRF: webhook URLs cannot aim the server at its own network. Traffic goes to loopback
 * only: the refusal of every other range is checked as a pure function of the address
 * (src/webhooks/address-policy.spec.ts); here, with WEBHOOK_ALLOW_PRIVATE_URLS off, a loopback
 * receiver counts TCP connections to show that a refused URL is never contacted.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebhookEndpoint } from '../src/domain/webhooks/webhook-endpoint';
import { ADDRESS_REFUSED, guardedLookup } from '../src/webhooks/guarded-lookup';
import { sendWebhook } from '../src/webhooks/webhook-sender';
import { GRANT, PROFILE } from './support/fixtures';
import { call, RunningLedger, startLedger } from './support/ledger-server';
import { WebhookReceiver } from './support/webhook-receiver';

const FAST = { WEBHOOK_RETRY_SCHEDULE: '0,0.1,0.1,0.1', WEBHOOK_POLL_MS: '20' };
const GUARDED = { ...FAST, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The loopback forms of one port that a hostile app would try. */
const loopbackForms = (port: number) => [
  `http://127.0.0.1:${port}/hook`,
  `http://localhost:${port}/hook`,
  `http://0.0.0.0:${port}/hook`,
  `http://[::ffff:127.0.0.1]:${port}/hook`,
  `http://[::1]:${port}/hook`,
  `http://127.0.0.2:${port}/hook`,
  `https://127.0.0.1:${port}/hook`,
  `http://LOCALHOST:${port}/hook`,
];

describe('SSRF: webhook URLs cannot aim the server at its own network', () => {
  const receiver = new WebhookReceiver();
  let url: string;
  let port: number;

  beforeAll(async () => {
    url = await receiver.start();
    port = Number(new URL(url).port);
  });
  afterAll(() => receiver.stop());

  const endpoint = (target: string): WebhookEndpoint => ({
    id: 'ep',
    url: target,
    verification: 'empty',
    authorization: null,
    event_types: null,
    environment: null,
    enabled: true,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    created_at: new Date().toISOString(),
    disabled_reason: null,
  });

  it('the guarded lookup refuses a name that resolves to loopback, in both of its calling forms', async () => {
    const one = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(one).toMatchObject({ code: ADDRESS_REFUSED, message: 'localhost resolves to a loopback address; webhooks go to public addresses only' });
    const all = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(all).toMatchObject({ code: ADDRESS_REFUSED });
  });

  it('the sender opens no connection to a refused URL, and does once private addresses are allowed', async () => {
    receiver.dropConnections();
    const before = receiver.connections;
    for (const target of loopbackForms(port)) {
      const outcome = await sendWebhook(endpoint(target), 'msg_1', '{}', new Date(), { allowPrivateAddresses: false });
      expect({ target, status: outcome.status, refused: typeof outcome.refused }).toEqual({ target, status: null, refused: 'string' });
      expect(outcome.error).toMatch(/^address refused: .*(loopback|unspecified) address; webhooks go to public addresses only$/);
    }
    await sleep(50);
    expect(receiver.connections).toBe(before);

    const allowed = await sendWebhook(endpoint(url), 'msg_2', '{}', new Date(), { allowPrivateAddresses: true });
    expect(allowed).toMatchObject({ status: 200, refused: null, error: null });
    expect(receiver.connections).toBe(before + 1);
  });

  describe('with WEBHOOK_ALLOW_PRIVATE_URLS off', () => {
    let ledger: RunningLedger;
    beforeAll(async () => {
      ledger = await startLedger({ env: GUARDED });
    });
    afterAll(() => ledger.close());

    it('refuses every loopback form at registration with 400 webhook_url_not_allowed, and never connects', async () => {
      receiver.dropConnections();
      const before = receiver.connections;
      const handshakes = receiver.handshakes.length;
      for (const target of loopbackForms(port)) {
        for (const verification of ['empty', 'adapty_check', 'none']) {
          const r = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: target, verification } });
          expect({ target, verification, status: r.status, code: r.body.error_code }).toEqual({ target, verification, status: 400, code: 'webhook_url_not_allowed' });
          expect(r.body).toEqual({
            errors: [{ source: 'url', errors: [expect.stringMatching(/^Webhook URL not allowed: .*(loopback|unspecified) address; webhooks go to public addresses only$/)] }],
            error_code: 'webhook_url_not_allowed',
            status_code: 400,
          });
        }
      }
      await sleep(50);
      expect(receiver.connections).toBe(before);
      expect(receiver.handshakes.length).toBe(handshakes);
      expect((await call(ledger.url, { path: '/admin/v1/webhook-endpoints' })).body.data).toEqual([]);
    });

    it('refuses other schemes and credentials in the URL with the same code', async () => {
      const cases: Array<[string, RegExp]> = [
        [`ftp://127.0.0.1:${port}/hook`, /scheme ftp is not allowed/],
        [`gopher://127.0.0.1:${port}/_`, /scheme gopher is not allowed/],
        [`http://user:secret@127.0.0.1:${port}/hook`, /credentials in the URL are not allowed/],
        [`https://token@hooks.example.com/hook`, /credentials in the URL are not allowed/],
      ];
      receiver.dropConnections();
      const before = receiver.connections;
      for (const [target, reason] of cases) {
        const r = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: target, verification: 'none' } });
        expect(r.status).toBe(400);
        expect(r.body.error_code).toBe('webhook_url_not_allowed');
        expect(r.body.errors[0].errors[0]).toMatch(reason);
      }
      expect(receiver.connections).toBe(before);
    });
  });

  it('follows no redirect: a 3xx ends the delivery as rejected and its Location is never contacted', async () => {
    let elsewhereConnections = 0;
    const elsewhere = createServer((_req, res) => res.end('{}'));
    elsewhere.on('connection', () => (elsewhereConnections += 1));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const location = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/metadata`;
    const redirector = createServer((req, res) => {
      req.resume();
      req.on('end', () => (String(req.headers['webhook-id']).startsWith('verify_') ? res.end('{}') : res.writeHead(307, { location }).end('moved')));
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const ledger = await startLedger({ env: FAST });
    try {
      const created = await call(ledger.url, {
        method: 'POST',
        path: '/admin/v1/webhook-endpoints',
        body: { url: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook` },
      });
      expect(created.status).toBe(201);
      const profile = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'ssrf-redirect', body: {} });
      await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'ssrf-redirect', body: { access_level_id: 'premium' } });
      let delivery: any;
      for (let i = 0; i < 200 && delivery?.status !== 'rejected'; i++) {
        await sleep(25);
        const list = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${created.body.data.id}/deliveries` });
        delivery = list.body.data.find((d: { profile_id: string }) => d.profile_id === profile.body.data.profile_id);
      }
      expect(delivery).toMatchObject({ status: 'rejected', attempts: 1, last_response_status: 307, last_response_excerpt: 'moved' });
      await sleep(500);
      expect(elsewhereConnections).toBe(0);
    } finally {
      await ledger.close();
      for (const server of [elsewhere, redirector]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  it('checks again at each delivery: endpoints saved while allowed get no connection once the guard is on, and the attempt is retried, then failed', async () => {
    const first = await startLedger({ env: FAST });
    const dir = first.dir;
    let ledger: RunningLedger = first;
    try {
      // Saved while private addresses were allowed (or, for the name, while it resolved elsewhere).
      const literal = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url } });
      const named = await call(ledger.url, { method: 'POST', path: '/admin/v1/webhook-endpoints', body: { url: url.replace('127.0.0.1', 'localhost') } });
      expect([literal.status, named.status]).toEqual([201, 201]);
      await ledger.stop();
      ledger = await startLedger({ dir, env: GUARDED });
      receiver.dropConnections();
      await sleep(50);
      const before = receiver.connections;

      const patched = await call(ledger.url, { method: 'PATCH', path: `/admin/v1/webhook-endpoints/${literal.body.data.id}`, body: { url: `${url}/other` } });
      expect(patched.status).toBe(400);
      expect(patched.body.error_code).toBe('webhook_url_not_allowed');

      const profile = await call(ledger.url, { method: 'POST', path: PROFILE, customerUserId: 'ssrf-delivery', body: {} });
      await call(ledger.url, { method: 'POST', path: GRANT, customerUserId: 'ssrf-delivery', body: { access_level_id: 'premium' } });
      const settled = async (endpointId: string) => {
        for (let i = 0; i < 200; i++) {
          const list = await call(ledger.url, { path: `/admin/v1/webhook-endpoints/${endpointId}/deliveries` });
          const d = list.body.data.find((x: { profile_id: string }) => x.profile_id === profile.body.data.profile_id);
          if (d?.status === 'failed') return d;
          await sleep(25);
        }
        throw new Error('the refused delivery never settled');
      };
      expect(await settled(literal.body.data.id)).toMatchObject({
        status: 'failed',
        attempts: 4,
        last_response_status: null,
        last_error: 'address refused: 127.0.0.1 is a loopback address; webhooks go to public addresses only',
      });
      expect(await settled(named.body.data.id)).toMatchObject({
        status: 'failed',
        attempts: 4,
        last_response_status: null,
        last_error: 'address refused: localhost resolves to a loopback address; webhooks go to public addresses only',
      });
      expect(receiver.connections).toBe(before);
      expect(receiver.received.filter((r) => r.body.profile_id === profile.body.data.profile_id)).toEqual([]);
    } finally {
      await ledger.close();
    }
  });
});
