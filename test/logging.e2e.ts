/**
 * Structured logs of the built server (a real process, stdout as a log shipper reads it): JSON
 * lines, one per request with its request id, app, route, status and latency — and no secret in
 * any line, at the most verbose level, whatever the requests carry.
 */
import { cleanupAll, LedgerProcess, startLedger, tempDir, V2 } from './support/process-ledger';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);
afterAll(cleanupAll);

const KEY1 = 'secret_log_app1_Zq8f2kLw';
const KEY2 = 'secret_log_app2_Yp7e1jKv';
const WRONG_KEY = 'secret_log_wrong_Xo6d0iJu';
const METRICS_TOKEN = 'metrics_token_Wn5c9hIt';
const RECEIVER_AUTH = 'Bearer receiver_token_Vm4b8gHs';
const PATCHED_AUTH = 'Basic cGF0Y2hlZDpzZWNyZXRfVWw3YQ==';
const STRAY_BEARER = 'Bearer stray_token_Tk2z6eFq';

async function request(base: string, method: string, path: string, o: { key?: string | null; headers?: Record<string, string>; body?: string } = {}) {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key !== null) headers.authorization ??= `Api-Key ${o.key ?? KEY1}`;
  if (o.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: o.body });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });

describe('structured logs', () => {
  let proc: LedgerProcess;
  let receiver: WebhookReceiver;
  const secrets = new Set([KEY1, KEY2, WRONG_KEY, METRICS_TOKEN, RECEIVER_AUTH, PATCHED_AUTH, STRAY_BEARER]);
  const headersOf = new Map<string, Headers>();

  beforeAll(async () => {
    receiver = new WebhookReceiver();
    const url = await receiver.start();
    proc = await startLedger({
      dir: tempDir(),
      env: { LOG_LEVEL: 'trace', API_KEYS: `app1:${KEY1},app2:${KEY2}`, METRICS_TOKEN, WEBHOOK_POLL_MS: '20' },
    });
    const base = proc.url;
    const user = { 'adapty-customer-user-id': 'log-user' };
    const traced = await request(base, 'POST', `${V2}/profile/`, { headers: { ...user, 'x-request-id': 'trace-abc-123' }, body: '{}' });
    expect(traced.status).toBe(200);
    headersOf.set('traced', traced.headers);
    const plain = await request(base, 'GET', `${V2}/profile/`, { key: KEY2, headers: { 'adapty-customer-user-id': 'nobody' } });
    expect(plain.status).toBe(404);
    headersOf.set('plain', plain.headers);
    const odd = await request(base, 'GET', '/health/live', { key: null, headers: { 'x-request-id': 'has spaces and "quotes" '.repeat(3) } });
    headersOf.set('odd', odd.headers);
    // Keys and tokens, right and wrong, in every place a client puts them.
    expect((await request(base, 'GET', `${V2}/profile/`, { key: WRONG_KEY, headers: user })).status).toBe(401);
    expect((await request(base, 'GET', `${V2}/profile/`, { key: null, headers: { ...user, authorization: STRAY_BEARER } })).status).toBe(401);
    expect((await request(base, 'GET', '/metrics', { key: null, headers: { authorization: STRAY_BEARER } })).status).toBe(401);
    expect((await request(base, 'GET', '/metrics', { key: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    // Webhook endpoints: authorization values in bodies, signing secrets in answers.
    const created = await request(base, 'POST', '/admin/v1/webhook-endpoints', { body: JSON.stringify({ url, authorization: RECEIVER_AUTH }) });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    secrets.add(created.body.data.secret);
    const patched = await request(base, 'PATCH', `/admin/v1/webhook-endpoints/${id}`, { body: JSON.stringify({ authorization: PATCHED_AUTH }) });
    expect(patched.status).toBe(200);
    const rotated = await request(base, 'POST', `/admin/v1/webhook-endpoints/${id}/rotate-secret`);
    secrets.add(rotated.body.data.secret);
    expect((await request(base, 'GET', '/admin/v1/webhook-endpoints')).status).toBe(200);
    expect((await request(base, 'GET', `/admin/v1/webhook-endpoints/${id}`)).status).toBe(200);
    // Refused bodies that carry secrets: malformed JSON, invalid fields, too deep, wrong media type.
    const broken = `{"url": "http://x", "authorization": "${RECEIVER_AUTH}", `;
    expect((await request(base, 'POST', '/admin/v1/webhook-endpoints', { body: broken })).status).toBe(400);
    expect((await request(base, 'PATCH', `/admin/v1/webhook-endpoints/${id}`, { body: `{"authorization": 7, "x": "${PATCHED_AUTH}"}` })).status).toBe(400);
    expect((await request(base, 'POST', '/admin/v1/webhook-endpoints', { body: `${RECEIVER_AUTH}`, headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await request(base, 'POST', '/admin/v1/webhook-endpoints', { body: `{"authorization":"${PATCHED_AUTH}"}`, headers: { 'content-type': 'application/xml' } })).status).toBe(415);
    // A delivery goes out with the configured Authorization (and is logged by nobody).
    const grant = await request(base, 'POST', `${V2}/purchase/profile/grant/access-level/`, { headers: user, body: '{"access_level_id":"premium"}' });
    expect(grant.status).toBe(200);
    await receiver.waitFor((rs) => rs.length > 0);
    expect(receiver.received[0].headers.authorization).toBe(PATCHED_AUTH);
    const exit = await proc.stop(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  afterAll(() => receiver.stop());

  it('stdout is JSON lines only; no line holds a key, an Authorization header, a signing secret or an endpoint authorization', () => {
    const lines = jsonLines(proc.stdout);
    expect(lines.length).toBeGreaterThan(15);
    for (const secret of secrets) {
      expect([secret, proc.stdout.includes(secret), proc.stderr.includes(secret)]).toEqual([secret, false, false]);
      // Nor a fragment long enough to matter (a JSON parse error quoting part of a body).
      const core = secret.replace(/^(Bearer|Basic) /, '');
      expect([core.slice(0, 12), proc.stdout.includes(core.slice(0, 12))]).toEqual([core.slice(0, 12), false]);
    }
    expect(proc.stdout).not.toMatch(/whsec_/);
    for (const line of lines) {
      expect(line.time).toEqual(expect.any(Number));
      expect(typeof line.level).toBe('string');
      expect(typeof line.msg).toBe('string');
    }
  });

  it('one line per request: request id (the caller\'s x-request-id, echoed, or a new one), app, method, route, status, latency', () => {
    const requests = jsonLines(proc.stdout).filter((l) => l.msg === 'request completed' || l.msg === 'request failed');
    expect(requests.length).toBeGreaterThanOrEqual(17);
    const traced = requests.find((l) => l.request_id === 'trace-abc-123')!;
    expect(traced).toEqual(
      expect.objectContaining({
        level: 'info',
        app_id: 'app1',
        method: 'POST',
        route: '/api/v2/server-side-api/profile',
        url: '/api/v2/server-side-api/profile/',
        status: 200,
        latency_ms: expect.any(Number),
      }),
    );
    expect(headersOf.get('traced')!.get('x-request-id')).toBe('trace-abc-123');
    const generated = headersOf.get('plain')!.get('x-request-id')!;
    expect(generated).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
    expect(requests.find((l) => l.request_id === generated)).toEqual(expect.objectContaining({ app_id: 'app2', status: 404, method: 'GET' }));
    // An id that is not short and plain is replaced, not copied into logs and headers.
    expect(headersOf.get('odd')!.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
    expect(requests.filter((l) => l.status === 401).every((l) => l.app_id === null)).toBe(true);
    expect(new Set(requests.map((l) => l.request_id)).size).toBe(requests.length);
  });

  it('LOG_REQUESTS=0 writes no request lines; LOG_LEVEL=warn writes no info lines', async () => {
    for (const env of [{ LOG_REQUESTS: '0' }, { LOG_LEVEL: 'warn' }]) {
      const quiet = await startLedger({ dir: tempDir(), env: { API_KEYS: `app1:${KEY1}`, ...env } });
      for (let i = 0; i < 3; i++) await request(quiet.url, 'GET', '/admin/v1/products');
      expect(await quiet.stop(10_000)).toEqual({ code: 0, signal: null });
      const lines = jsonLines(quiet.stdout);
      expect([env, lines.filter((l) => l.msg === 'request completed')]).toEqual([env, []]);
      if (env.LOG_LEVEL === 'warn') expect(lines.filter((l) => l.level === 'info' || l.level === 'debug')).toEqual([]);
    }
  });
});
