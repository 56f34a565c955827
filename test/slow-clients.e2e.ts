/**
 * Slow and idle clients against the built server (a real process on loopback): clients that
 * trickle their request head or body are cut at HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS while
 * everyone else is served as usual; open connections are bounded by MAX_CONNECTIONS.
 */
import { connect, Socket } from 'node:net';
import { cleanupAll, LedgerProcess, SECRET, sleep, startLedger, tempDir, V2 } from './support/process-ledger';

jest.setTimeout(60_000);
afterAll(cleanupAll);

interface Slow {
  opened: number;
  closed: number | null;
  answer: string;
  socket: Socket;
  timer?: NodeJS.Timeout;
}

/** A client that sends `head` at once, then one byte of `trickle` every `everyMs`, forever. */
function trickler(port: number, head: string, trickle: string, everyMs: number): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const slow: Slow = { opened: 0, closed: null, answer: '', socket };
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (slow.answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      slow.closed ??= Date.now();
      clearInterval(slow.timer);
    });
    socket.once('connect', () => {
      slow.opened = Date.now();
      if (head) socket.write(head);
      let i = 0;
      slow.timer = setInterval(() => {
        if (!socket.destroyed) socket.write(trickle[i++ % trickle.length]);
      }, everyMs);
      resolve(slow);
    });
    socket.once('error', reject);
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

describe('slow clients', () => {
  let ledger: LedgerProcess;

  beforeAll(async () => {
    ledger = await startLedger({ dir: tempDir(), env: { HEADERS_TIMEOUT_MS: '2000', REQUEST_TIMEOUT_MS: '4000', LOG_REQUESTS: '0' } });
  });

  it('200 connections sending their head a byte at a time: ordinary requests are served meanwhile (p99 < 50 ms); the slow ones are cut at the header timeout (408)', async () => {
    const headers = { authorization: `Api-Key ${SECRET}`, 'adapty-customer-user-id': 'slow-user', 'content-type': 'application/json' };
    expect((await fetch(`${ledger.url}${V2}/profile/`, { method: 'POST', headers, body: '{}' })).status).toBe(200);

    const heads = await Promise.all(
      Array.from({ length: 200 }, () => trickler(ledger.port, '', 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 100)),
    );
    // And ten that send their head at once and trickle the body: cut at the request timeout.
    const body = `POST ${V2}/profile/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Api-Key ${SECRET}\r\nadapty-customer-user-id: slow-body\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const bodies = await Promise.all(Array.from({ length: 10 }, () => trickler(ledger.port, body, '{"first_name":"x"', 100)));

    const latencies: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 1800) {
      const t0 = performance.now();
      const r = await fetch(`${ledger.url}${V2}/profile/`, { headers });
      await r.arrayBuffer();
      latencies.push(performance.now() - t0);
      expect(r.status).toBe(200);
    }
    expect(latencies.length).toBeGreaterThan(50);
    // While they were all still connected and trickling:
    expect(heads.every((s) => s.closed === null)).toBe(true);
    expect(percentile(latencies, 99)).toBeLessThan(50);

    const deadline = Date.now() + 10_000;
    while ([...heads, ...bodies].some((s) => s.closed === null) && Date.now() < deadline) await sleep(50);
    for (const [group, limit] of [[heads, 2000], [bodies, 4000]] as const) {
      const lifetimes = group.map((s) => (s.closed ?? Infinity) - s.opened);
      // Node checks the timeouts every 200 ms here (a tenth of the head timeout): cut within that, plus scheduling slack.
      expect([limit, Math.min(...lifetimes) >= limit - 100, Math.max(...lifetimes) <= limit + 1500]).toEqual([limit, true, true]);
      expect(group.every((s) => s.answer.startsWith('HTTP/1.1 408'))).toBe(true);
    }
    // Still serving.
    expect((await fetch(`${ledger.url}/health/live`)).status).toBe(200);
  });

  it('idle keep-alive connections are kept longer than a load balancer\'s idle timeout (75 s by default)', async () => {
    const r = await fetch(`${ledger.url}/health/live`);
    expect(r.headers.get('keep-alive')).toBe('timeout=75');
  });
});

describe('MAX_CONNECTIONS', () => {
  it('connections past the bound are closed on arrival; the others are served', async () => {
    const ledger = await startLedger({ dir: tempDir(), env: { MAX_CONNECTIONS: '20', LOG_REQUESTS: '0' } });
    const sockets = await Promise.all(Array.from({ length: 30 }, () => trickler(ledger.port, '', ' ', 60_000)));
    await sleep(500);
    const closed = sockets.filter((s) => s.closed !== null).length;
    // The readiness probe of the harness may still hold one.
    expect(closed).toBeGreaterThanOrEqual(10);
    expect(closed).toBeLessThanOrEqual(11);
    sockets.forEach((s) => s.socket.destroy());
    await sleep(100);
    expect((await fetch(`${ledger.url}/health/live`)).status).toBe(200);
    expect(await ledger.stop(10_000)).toEqual({ code: 0, signal: null });
  });
});
