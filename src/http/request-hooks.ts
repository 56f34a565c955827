import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isOperationalRoute } from './operational-routes';
import { Metrics } from '../observability/metrics';

/** An incoming id is kept when it is short and plain (it ends up in log lines and a header). */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@\-]{1,128}$/;

/** Ids made here: random per process, then a counter (unique across processes, and cheaper than a UUID per request). */
const PROCESS_ID = randomBytes(6).toString('base64url');
let counter = 0;

/** The request id: the caller's `x-request-id` when acceptable, else a new one (`<process>-<n>`). */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : `${PROCESS_ID}-${(++counter).toString(36)}`;
}

/**
 * Per request: echoes the request id, and when it is answered, observes its latency under its
 * route template (never the raw URL: bounded labels) and logs one line.
 */
export function observeRequests(fastify: FastifyInstance, options: { metrics: Metrics | null; logRequests: boolean }): void {
  const { metrics, logRequests } = options;
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  if (!metrics && !logRequests) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    metrics?.observeRequest(request.method, route, status, ms / 1000);
    if (logRequests) {
      const line = {
        app_id: (request as { appId?: string }).appId ?? null,
        method: request.method,
        route,
        // A push URL may carry its secret token: the log never does.
        url: request.url.includes('token=') ? request.url.replace(/([?&]token=)[^&]*/g, '$1[redacted]') : request.url,
        status,
        latency_ms: Math.round(ms * 100) / 100,
      };
      // A probe's 503 is a state, not a failure.
      if (status >= 500 && !isOperationalRoute(route)) request.log.error(line, 'request failed');
      else request.log.info(line, 'request completed');
    }
    done();
  });
}
