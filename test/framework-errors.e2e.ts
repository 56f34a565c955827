import { connect } from 'node:net';
import { RunningLedger, startLedger } from './support/ledger-server';

/** Sends raw bytes and reads until the server closes the connection. */
function exchange(base: string, bytes: string): Promise<{ text: string; closed: boolean }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5000);
    socket.on('data', (c) => (text += c.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.write(bytes);
  });
}

function parse(text: string) {
  const [head, body] = text.split('\r\n\r\n');
  const [statusLine, ...headers] = head.split('\r\n');
  return { status: Number(statusLine.split(' ')[1]), headers: headers.map((h) => h.toLowerCase()), body: JSON.parse(body) };
}

describe('refusals made before routing answer in the Adapty envelope and close the connection', () => {
  let ledger: RunningLedger;
  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger.close());

  it('431 when the headers are too large', async () => {
    const huge = `GET /api/v2/server-side-api/profile/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const { text, closed } = await exchange(ledger.url, huge);
    const reply = parse(text);
    expect(reply.status).toBe(431);
    expect(reply.headers).toContain('content-type: application/json; charset=utf-8');
    expect(reply.body).toEqual({
      errors: [{ source: null, errors: ['The request headers are too large.'] }],
      error_code: 'request_header_fields_too_large',
      status_code: 431,
    });
    expect(closed).toBe(true);
  });

  it('400 bad_request when the bytes are not HTTP', async () => {
    const { text, closed } = await exchange(ledger.url, 'HELLO THERE\r\n\r\n');
    const reply = parse(text);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      errors: [{ source: null, errors: ['The request could not be parsed as HTTP.'] }],
      error_code: 'bad_request',
      status_code: 400,
    });
    expect(closed).toBe(true);
  });

  it('400 bad_request on conflicting framing (Content-Length with chunked), and no request reaches a route', async () => {
    const smuggle =
      'POST /api/v2/server-side-api/profile/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/v1/access-levels HTTP/1.1\r\nHost: x\r\n\r\n';
    const { text, closed } = await exchange(ledger.url, smuggle);
    expect(parse(text).body.error_code).toBe('bad_request');
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(closed).toBe(true);
  });
});
