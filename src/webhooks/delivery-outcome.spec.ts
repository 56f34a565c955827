import { classifyAttempt, RESPONSE_EXCERPT_CHARS, settleAttempt, statusAfter } from './delivery-outcome';

describe("Adapty's retry rule: 2xx delivered, 3xx-404 rejected, 410 disables, the rest retried", () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [300, 'rejected'],
    [301, 'rejected'],
    [302, 'rejected'],
    [308, 'rejected'],
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [404, 'rejected'],
    [410, 'disable'],
    [405, 'retry'],
    [408, 'retry'],
    [409, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [599, 'retry'],
    [199, 'retry'],
    [600, 'retry'],
    [null, 'retry'],
  ] as const)('HTTP %s -> %s', (status, verdict) => {
    expect(classifyAttempt(status)).toBe(verdict);
  });
});

describe('settling an attempt against the retry schedule', () => {
  const schedule = [0, 1, 2];
  const noJitter = () => 0.5;
  const answer = (status: number | null, body = '', error: string | null = null) => ({ status, body, error });

  it('delivers a 2xx and keeps no error or excerpt', () => {
    expect(settleAttempt(answer(200, '{"ok":true}'), 0, schedule, noJitter)).toEqual({
      outcome: 'delivered',
      status: 200,
      error: null,
      excerpt: null,
      retryInMs: null,
    });
  });

  it('rejects a 401 at once, whatever attempts are left, keeping the status and the start of the body', () => {
    const settled = settleAttempt(answer(401, '{"error":"invalid authorization"}'), 0, schedule, noJitter);
    expect(settled).toEqual({
      outcome: 'rejected',
      status: 401,
      error: 'endpoint answered HTTP 401: rejected, not retried (3xx-404 ends a delivery)',
      excerpt: '{"error":"invalid authorization"}',
      retryInMs: null,
    });
    expect(statusAfter(settled.outcome)).toBe('rejected');
  });

  it('keeps only the start of a long body', () => {
    const settled = settleAttempt(answer(400, 'x'.repeat(10_000)), 0, schedule, noJitter);
    expect(settled.excerpt).toHaveLength(RESPONSE_EXCERPT_CHARS);
  });

  it('retries a 503 on the schedule, then fails it once attempts are used up', () => {
    expect(settleAttempt(answer(503, 'busy'), 0, schedule, noJitter)).toEqual({ outcome: 'retry', status: 503, error: 'HTTP 503', excerpt: 'busy', retryInMs: 1000 });
    expect(settleAttempt(answer(503), 1, schedule, noJitter)).toMatchObject({ outcome: 'retry', retryInMs: 2000, excerpt: null });
    const last = settleAttempt(answer(503), 2, schedule, noJitter);
    expect(last).toMatchObject({ outcome: 'failed', status: 503, error: 'HTTP 503', retryInMs: null });
    expect(statusAfter(last.outcome)).toBe('failed');
    expect(statusAfter('retry')).toBe('pending');
  });

  it('retries a timeout, a connection error or a refused address with its message', () => {
    expect(settleAttempt(answer(null, '', 'timed out after 10000 ms'), 0, schedule, noJitter)).toMatchObject({ outcome: 'retry', error: 'timed out after 10000 ms' });
    expect(settleAttempt(answer(null, '', 'address refused: 127.0.0.1 is a loopback address'), 2, schedule, noJitter)).toMatchObject({
      outcome: 'failed',
      status: null,
      error: 'address refused: 127.0.0.1 is a loopback address',
    });
  });

  it('marks a 410 gone (the endpoint gets disabled) and ends the delivery as failed', () => {
    const gone = settleAttempt(answer(410), 0, schedule, noJitter);
    expect(gone).toMatchObject({ outcome: 'gone', status: 410, error: 'endpoint answered 410 Gone: disabled' });
    expect(statusAfter(gone.outcome)).toBe('failed');
  });
});
