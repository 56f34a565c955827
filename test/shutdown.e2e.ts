/**
 * Graceful shutdown of the built server (real processes, real signals): SIGTERM under load turns
 * readiness 503 at once, answers every request already accepted, exits 0, and loses no
 * acknowledged write; webhook leases held by the stopping process go to another one at once;
 * past SHUTDOWN_TIMEOUT_MS the process exits 1 anyway.
 */
import { Agent, createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { cleanupAll, LedgerProcess, SECRET, sleep, startLedger, tempDir, V2 } from './support/process-ledger';

jest.setTimeout(90_000);
afterAll(cleanupAll);

const GRANT = `${V2}/purchase/profile/grant/access-level/`;

interface Outcome {
  status?: number;
  error?: string;
  connection?: string;
}

/** One request over node:http (the `agent` decides keep-alive); resolves with the status or the socket error code. */
function send(port: number, method: string, path: string, o: { agent?: Agent | false; customerUserId?: string; body?: unknown } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = { authorization: `Api-Key ${SECRET}` };
    if (o.customerUserId) headers['adapty-customer-user-id'] = o.customerUserId;
    if (body) headers['content-type'] = 'application/json';
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: o.agent ?? false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, connection: String(res.headers.connection) }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

describe('SIGTERM under load', () => {
  it('readiness 503 at once, every accepted request answered 2xx, exit 0, every acknowledged write there after a restart', async () => {
    const dir = tempDir();
    const a = await startLedger({ dir, env: { SHUTDOWN_DRAIN_DELAY_MS: '500', SHUTDOWN_TIMEOUT_MS: '15000', LOG_REQUESTS: '0' } });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
    const created: string[] = [];
    const granted: string[] = [];
    const outcomes: Array<Outcome & { id: string; at: number }> = [];
    const ready: Array<{ at: number; status: number | string }> = [];
    let stop = false;
    // Like a load balancer: once readiness says 503, new requests stop within its reaction time (100 ms
    // here, inside the 500 ms drain delay), so some requests are surely answered while draining.
    let draining = false;
    let drainingAt = 0;
    let n = 0;
    const spans: Array<{ from: number; to: number }> = [];
    // 16 writers, each creating a profile then granting it premium: half on keep-alive connections, half on a new connection per request.
    const writers = Array.from({ length: 16 }, async (_, w) => {
      const agent = w % 2 ? keepAlive : false;
      while (!stop && !(draining && Date.now() - drainingAt > 100)) {
        const id = `sd-${w}-${n++}`;
        const from = Date.now();
        const create = await send(a.port, 'POST', `${V2}/profile/`, { agent, customerUserId: id, body: {} });
        spans.push({ from, to: Date.now() });
        outcomes.push({ ...create, id, at: Date.now() });
        if (create.status !== 200) {
          await sleep(5);
          continue;
        }
        created.push(id);
        const grantFrom = Date.now();
        const grant = await send(a.port, 'POST', GRANT, { agent, customerUserId: id, body: { access_level_id: 'premium' } });
        spans.push({ from: grantFrom, to: Date.now() });
        outcomes.push({ ...grant, id, at: Date.now() });
        if (grant.status === 200) granted.push(id);
      }
    });
    const poller = (async () => {
      while (!stop) {
        const r = await send(a.port, 'GET', '/health/ready');
        ready.push({ at: Date.now(), status: r.status ?? r.error ?? 'none' });
        if (r.status === 503 && !draining) {
          draining = true;
          drainingAt = Date.now();
        }
        await sleep(20);
      }
    })();
    await sleep(1500);
    const sigterm = Date.now();
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    const exitedAt = Date.now();
    stop = true;
    await Promise.all([...writers, poller]);
    keepAlive.destroy();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAt - sigterm).toBeLessThan(15_000);
    // Readiness: 200 before, 503 from the first probe after the signal until the listener closed.
    const after = ready.filter((r) => r.at > sigterm + 30);
    expect(ready.filter((r) => r.at < sigterm).every((r) => r.status === 200)).toBe(true);
    expect(after[0]?.status).toBe(503);
    // Then the listener closes: connections are refused (or reset, for one caught in the accept queue as it closed).
    const answeredProbes = after.filter((r) => typeof r.status === 'number');
    expect(answeredProbes.every((r) => r.status === 503)).toBe(true);
    expect(answeredProbes.length).toBeGreaterThanOrEqual(5);
    expect(after.filter((r) => typeof r.status !== 'number').every((r) => r.status === 'ECONNREFUSED' || r.status === 'ECONNRESET')).toBe(true);
    expect(after[after.length - 1].status).toBe('ECONNREFUSED');
    // Writes were in flight when the signal came.
    expect(spans.filter((x) => x.from < sigterm && x.to > sigterm).length).toBeGreaterThan(0);
    // Every write sent was answered 200: none failed, including those in flight at the signal.
    expect(outcomes.length).toBeGreaterThan(50);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    // Answers given while draining close their connection, also those to requests accepted before the signal.
    // (Counted from the first 503 probe, when the server had surely seen the signal: on a loaded machine it may take a while.)
    const shutdownSeen = ready.find((r) => r.status === 503)!.at;
    const drained = outcomes.filter((o) => o.at > shutdownSeen + 20);
    expect(drained.length).toBeGreaterThan(0);
    expect(drained.filter((o) => o.connection !== 'close')).toEqual([]);

    const b = await startLedger({ dir, env: { LOG_REQUESTS: '0' } });
    const lost: string[] = [];
    for (const id of created) {
      const r = await new Promise<any>((resolve) =>
        fetch(`${b.url}${V2}/profile/`, { headers: { authorization: `Api-Key ${SECRET}`, 'adapty-customer-user-id': id } })
          .then(async (res) => resolve({ status: res.status, body: await res.json() }))
          .catch((e) => resolve({ status: String(e) })),
      );
      const premium = r.status === 200 && r.body.data.access_levels.some((l: any) => l.access_level_id === 'premium');
      if (r.status !== 200 || (granted.includes(id) && !premium)) lost.push(`${id}: ${r.status}`);
    }
    expect(lost).toEqual([]);
    expect(granted.length).toBeGreaterThan(20);
    expect(await b.stop(10_000)).toEqual({ code: 0, signal: null });
  });
});

/** A receiver that holds the first attempt of each delivery open (never answers it) and accepts later ones and the handshake. */
class HoldingReceiver {
  readonly attempts: Array<{ id: string; at: number }> = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        // The handshake when the endpoint is saved (a body without an event) is answered at once.
        if (JSON.parse(raw || '{}').event_type === undefined) return void res.end('{}');
        const id = String(req.headers['webhook-id']);
        const first = !this.attempts.some((a) => a.id === id);
        this.attempts.push({ id, at: Date.now() });
        if (!first) res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
    await closed;
  }
}

describe('SIGTERM and webhook leases', () => {
  it('a delivery in flight at shutdown is released and sent by another process at once, not after its 15 s lease', async () => {
    const receiver = new HoldingReceiver();
    const url = await receiver.start();
    try {
      const dir = tempDir();
      const env = { WEBHOOK_POLL_MS: '50', LOG_REQUESTS: '0', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };
      const a = await startLedger({ dir, env });
      const call = (base: string, method: string, path: string, body?: unknown, user?: string) =>
        fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Api-Key ${SECRET}`, 'content-type': 'application/json', ...(user ? { 'adapty-customer-user-id': user } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const created = await call(a.url, 'POST', '/admin/v1/webhook-endpoints', { url, event_types: ['access_level_updated'] });
      expect([created.status, await created.text()]).toEqual([201, expect.any(String)]);
      expect((await call(a.url, 'POST', `${V2}/profile/`, {}, 'lease-user')).status).toBe(200);
      expect((await call(a.url, 'POST', GRANT, { access_level_id: 'premium' }, 'lease-user')).status).toBe(200);
      // A has claimed the delivery (15 s lease) and its request hangs at the receiver.
      for (let t = 0; receiver.attempts.length === 0; t++) {
        if (t > 200) throw new Error('the delivery never reached the receiver');
        await sleep(25);
      }
      const b = await startLedger({ dir, env });
      const sigterm = Date.now();
      a.child.kill('SIGTERM');
      expect(await a.exited).toEqual({ code: 0, signal: null });
      for (let t = 0; receiver.attempts.length < 2; t++) {
        if (t > 400) throw new Error('the released delivery was never sent again');
        await sleep(25);
      }
      const again = receiver.attempts[1];
      expect(again.id).toBe(receiver.attempts[0].id);
      // Released after at most the 2 s grace for requests in flight, then taken by B's next poll: well before the lease lapses.
      expect(again.at - sigterm).toBeLessThan(8000);
      const endpoints = (await (await call(b.url, 'GET', '/admin/v1/webhook-endpoints')).json()) as any;
      const deliveries = async () => (await (await call(b.url, 'GET', `/admin/v1/webhook-endpoints/${endpoints.data[0].id}/deliveries`)).json()) as any;
      for (let t = 0; (await deliveries()).data[0].status !== 'delivered'; t++) {
        if (t > 100) throw new Error(`not recorded as delivered: ${JSON.stringify(await deliveries())}`);
        await sleep(50);
      }
      expect(await b.stop(10_000)).toEqual({ code: 0, signal: null });
    } finally {
      await receiver.stop();
    }
  });
});

describe('shutdown deadline', () => {
  it('a request that never completes cannot hold the process: past SHUTDOWN_TIMEOUT_MS it exits 1', async () => {
    const a = await startLedger({ dir: tempDir(), env: { SHUTDOWN_TIMEOUT_MS: '1500', LOG_REQUESTS: '0' } });
    // Headers sent, body promised but never finished: the request stays in progress.
    const socket = connect(a.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined);
    socket.write(`POST ${V2}/profile/ HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Key ${SECRET}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`);
    await sleep(200);
    const sigterm = Date.now();
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    const took = Date.now() - sigterm;
    socket.destroy();
    expect(exit).toEqual({ code: 1, signal: null });
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(5000);
    expect(a.stdout).toContain('shutdown deadline passed');
  });
});
