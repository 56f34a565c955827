import { Controller, HttpCode, Logger, OnModuleInit, Post } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/shared/domain-error';
import { DomainErrorException } from '../errors/domain-error.exception';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyedErrors, ApiErrors } from '../openapi/api-errors.decorator';

export const STRIPE_VALIDATE_PATH = '/api/v1/sdk/purchase/stripe/token/validate';

const JSON_API = 'application/vnd.api+json';

export const stripeNotImplemented = (): DomainError =>
  new DomainError(
    'not_implemented',
    null,
    'Stripe token validation is not available on this server: it needs Stripe\'s own API, which this service cannot reach. ' +
      'Record Stripe purchases with POST /api/v2/server-side-api/purchase/set/transaction/ (store "stripe").',
  );

const isStripeValidate = (request: FastifyRequest): boolean => {
  const path = request.url.split('?')[0].replace(/\/+$/, '');
  return path === STRIPE_VALIDATE_PATH;
};

/**
 * `POST /api/v1/sdk/purchase/stripe/token/validate/` (contract §2.6) is out of scope: it answers
 * a clear 501 naming the v2 set-transaction endpoint. Its clients send `application/vnd.api+json`,
 * which Fastify would refuse with 415 before any route runs, so that media type is read here,
 * for this path only (any other path still answers 415 to it).
 */
@ApiTags('v1 (legacy)')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('api/v1/sdk/purchase/stripe/token')
export class V1StripeController implements OnModuleInit {
  private readonly logger = new Logger('V1StripeController');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addContentTypeParser !== 'function' || fastify.hasContentTypeParser(JSON_API)) return;
    try {
      fastify.addContentTypeParser(JSON_API, { parseAs: 'string' }, (request, body, done) => {
        if (!isStripeValidate(request)) {
          done(Object.assign(new Error('Unsupported media type'), { statusCode: 415 }), undefined);
          return;
        }
        // The body is not used: whatever it holds, the answer is 501.
        done(null, {});
      });
    } catch (error) {
      this.logger.warn(`could not accept ${JSON_API}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  @Post('validate')
  @HttpCode(501)
  @ApiOperation({ summary: "Stripe token validation: not available (it needs Stripe's API); use v2 set-transaction with store \"stripe\"" })
  @ApiErrors(501)
  validate(): never {
    throw new DomainErrorException([stripeNotImplemented()]);
  }
}
