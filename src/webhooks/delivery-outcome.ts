import { delayBeforeAttempt } from './retry-schedule';

/**
 * What one attempt's answer means, by Adapty's rule: "If your server's response status code is
 * outside the 200-404 range, Adapty will retry … To stop retries, return a status between 200
 * and 404." 2xx is delivered; 3xx–404 is a refusal that ends the delivery (redirects are not
 * followed); 410 Gone asks us to stop sending to the endpoint at all (Standard Webhooks); any
 * other status, a timeout, a connection error or a refused address is tried again.
 */
export type AttemptVerdict = 'delivered' | 'rejected' | 'disable' | 'retry';

export function classifyAttempt(status: number | null): AttemptVerdict {
  if (status === null) return 'retry';
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return 'disable';
  if (status >= 300 && status <= 404) return 'rejected';
  return 'retry';
}

/**
 * The outcome of an attempt once the retry schedule is taken into account: the one label set
 * that logs and metrics count (`retry` = will be tried again, `failed` = attempts used up,
 * `gone` = 410, endpoint disabled).
 */
export const DELIVERY_OUTCOMES = ['delivered', 'rejected', 'failed', 'retry', 'gone'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** A delivery's status in the outbox (and the deliveries API). */
export type DeliveryStatus = 'pending' | 'delivered' | 'rejected' | 'failed';

export const statusAfter = (outcome: DeliveryOutcome): DeliveryStatus =>
  outcome === 'retry' ? 'pending' : outcome === 'gone' ? 'failed' : outcome;

/** How much of a refusing answer's body the delivery log keeps. */
export const RESPONSE_EXCERPT_CHARS = 256;

export interface SettledAttempt {
  outcome: DeliveryOutcome;
  status: number | null;
  /** What went wrong, for the delivery log; null when delivered. */
  error: string | null;
  /** The start of the response body when the answer was not a 2xx; null otherwise. */
  excerpt: string | null;
  /** For `retry`: milliseconds until the next attempt. */
  retryInMs: number | null;
}

/**
 * Settles attempt number `attemptsBefore + 1` of a delivery: pure, so any worker (polling or
 * queue-fed, in any thread) applies the same rule.
 */
export function settleAttempt(
  answer: { status: number | null; body: string; error: string | null },
  attemptsBefore: number,
  schedule: number[],
  random: () => number = Math.random,
): SettledAttempt {
  const { status } = answer;
  const verdict = classifyAttempt(status);
  if (verdict === 'delivered') return { outcome: 'delivered', status, error: null, excerpt: null, retryInMs: null };
  const excerpt = answer.body === '' ? null : answer.body.slice(0, RESPONSE_EXCERPT_CHARS);
  if (verdict === 'disable') return { outcome: 'gone', status, error: 'endpoint answered 410 Gone: disabled', excerpt, retryInMs: null };
  if (verdict === 'rejected') {
    return { outcome: 'rejected', status, error: `endpoint answered HTTP ${status}: rejected, not retried (3xx-404 ends a delivery)`, excerpt, retryInMs: null };
  }
  const error = answer.error ?? `HTTP ${status}`;
  const delay = delayBeforeAttempt(schedule, attemptsBefore + 1, random);
  return delay === null ? { outcome: 'failed', status, error, excerpt, retryInMs: null } : { outcome: 'retry', status, error, excerpt, retryInMs: delay };
}
