import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { LedgerConfig } from '../config/config';

/**
 * Slow and idle clients: Node cuts a connection whose request head (HEADERS_TIMEOUT_MS) or whole
 * request (REQUEST_TIMEOUT_MS) is late with a 408, but only checks every
 * `connectionsCheckingInterval` (30 s by default), so the check runs ten times per head timeout
 * (at most once a second). Idle keep-alive connections close after KEEP_ALIVE_TIMEOUT_MS.
 */
export function serverOptions(config: LedgerConfig): Pick<FastifyHttpOptions<Server>, 'http' | 'requestTimeout' | 'keepAliveTimeout' | 'return503OnClosing'> {
  return {
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 10))),
    },
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // A request that arrives on an open connection while the server drains is answered, not refused.
    return503OnClosing: false,
  };
}
