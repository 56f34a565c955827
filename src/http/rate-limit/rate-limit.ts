import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LedgerConfig } from '../../config/config';
import { DomainError } from '../../domain/shared/domain-error';
import { AppKeys } from '../auth/app-keys';
import { DomainErrorException } from '../errors/domain-error.exception';
import { isOperationalRoute } from '../operational-routes';

/**
 * RATE_LIMIT_PER_MINUTE requests per minute per app (a key is one app); requests without a
 * valid key count per client address. Over the limit: 429 `rate_limited` in Adapty's envelope,
 * with `Retry-After`. Health, metrics and the API document are never limited.
 */
export async function registerRateLimit(app: NestFastifyApplication, config: LedgerConfig): Promise<void> {
  if (config.rateLimitPerMinute <= 0) return;
  const keys = new AppKeys(config.apiKeys);
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const check = keys.check(request.headers.authorization);
      return typeof check === 'object' ? `app:${check.appId}` : `ip:${request.ip}`;
    },
    allowList: (request) => isOperationalRoute(request.routeOptions.url),
    errorResponseBuilder: (_request, context) =>
      new DomainErrorException([
        new DomainError('rate_limited', null, `Request was throttled. Expected available in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`),
      ]),
  });
}
