import { AddressInfo, createServer, connect, Socket } from 'node:net';
import { clientErrorHandler } from './client-error-handler';

/** What a client reads when the handler answers `error` on a real loopback connection. */
async function answerTo(error: Error & { code?: string }, options: { closeAfter?: boolean } = {}): Promise<string> {
  let serverSide!: Socket;
  const server = createServer((s) => (serverSide = s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let text = '';
  client.on('data', (c) => (text += c.toString()));
  await new Promise<void>((r) => client.on('connect', r));
  while (!serverSide) await new Promise((r) => setTimeout(r, 1));
  serverSide.on('error', () => undefined);
  clientErrorHandler(error, serverSide);
  // The handler leaves a reset socket alone; the test closes it to finish.
  if (options.closeAfter) serverSide.destroy();
  await new Promise<void>((r) => client.on('close', r));
  await new Promise<void>((r) => server.close(() => r()));
  return text;
}

describe('clientErrorHandler', () => {
  it('a client too slow to send its request gets 408 request_timeout in the envelope, then the connection closes', async () => {
    const text = await answerTo(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    expect(text.startsWith('HTTP/1.1 408 Request Timeout\r\n')).toBe(true);
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(JSON.parse(text.split('\r\n\r\n')[1])).toEqual({
      errors: [{ source: null, errors: ['The request was not received in time.'] }],
      error_code: 'request_timeout',
      status_code: 408,
    });
  });

  it('a reset connection gets nothing written to it', async () => {
    const text = await answerTo(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), { closeAfter: true });
    expect(text).toBe('');
  });
});
