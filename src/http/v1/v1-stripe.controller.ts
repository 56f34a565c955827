import { Body, Controller, HttpCode, Logger, OnModuleInit, Post, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidateStripePurchaseCommand } from '../../application/stripe/stripe.commands';
import { DomainError } from '../../domain/shared/domain-error';
import { statusOf } from '../errors/error-envelope';
import { unwrap } from '../errors/domain-error.exception';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { AppId } from '../profile/profile-ref.decorator';
import { JsonApiErrorsDto, StripeValidatedDto } from './v1-stripe.dto';

export const STRIPE_VALIDATE_PATH = '/api/v1/sdk/purchase/stripe/token/validate';

const JSON_API = 'application/vnd.api+json';

const isStripeValidate = (request: FastifyRequest): boolean => {
  const path = request.url.split('?')[0].replace(/\/+$/, '');
  return path === STRIPE_VALIDATE_PATH;
};

/** Adapty's JSON:API error for this call: `{"errors":[{"detail", "source":{"pointer"}, "status":"400"}]}` (status a string), with the ledger's code when it has one. */
const jsonApiError = (attribute: string, detail: string, code?: string) => ({
  errors: [{ detail, source: { pointer: `/data/attributes/${attribute}` }, status: '400', ...(code ? { code } : {}) }],
});

const attribute = (body: unknown, name: 'customer_user_id' | 'stripe_token'): string | null => {
  const attributes = (body as { data?: { attributes?: { customer_user_id?: unknown; stripe_token?: unknown } } } | null)?.data?.attributes;
  const value = name === 'customer_user_id' ? attributes?.customer_user_id : attributes?.stripe_token;
  return typeof value === 'string' && value.trim() !== '' ? value : null;
};

/**
 * `POST /api/v1/sdk/purchase/stripe/token/validate/` (contract §2.6): the Stripe subscription,
 * payment intent or checkout session is read with the app's Stripe API key and imported to the
 * customer_user_id's profile. Its clients send `application/vnd.api+json`, which Fastify would refuse
 * with 415 before any route runs, so that media type is read here, for this path only (any other path
 * still answers 415 to it). Its 400s are Adapty's JSON:API errors; every other error is the envelope.
 */
@ApiTags('v1 (legacy)')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('api/v1/sdk/purchase/stripe/token')
export class V1StripeController implements OnModuleInit {
  private readonly logger = new Logger('V1StripeController');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly commands: CommandBus,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addContentTypeParser !== 'function' || fastify.hasContentTypeParser(JSON_API)) return;
    try {
      fastify.addContentTypeParser(JSON_API, { parseAs: 'string' }, (request, body, done) => {
        if (!isStripeValidate(request)) {
          done(Object.assign(new Error('Unsupported media type'), { statusCode: 415 }), undefined);
          return;
        }
        try {
          done(null, body === '' ? {} : JSON.parse(String(body)));
        } catch {
          // Read as no attributes: the call answers which one is missing.
          done(null, {});
        }
      });
    } catch (error) {
      this.logger.warn(`could not accept ${JSON_API}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({ summary: "Adapty's Stripe validation: import a subscription (sub_…), payment intent (pi_…) or checkout session (cs_…) to a customer_user_id's profile (created if missing)" })
  @ApiOkResponse({ description: 'Imported', type: StripeValidatedDto })
  @ApiResponse({ status: 400, description: "Adapty's JSON:API errors: a missing attribute, no Stripe API key (stripe_api_key_not_found), an object Stripe does not know", type: JsonApiErrorsDto })
  @ApiErrors(404, 503)
  async validate(@AppId() appId: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const customerUserId = attribute(body, 'customer_user_id');
    const token = attribute(body, 'stripe_token');
    for (const [name, value] of [['customer_user_id', customerUserId], ['stripe_token', token]] as const) {
      if (value === null) {
        void reply.status(400);
        return jsonApiError(name, 'none is not an allowed value');
      }
    }
    const result = await this.commands.execute<ValidateStripePurchaseCommand, null | DomainError>(new ValidateStripePurchaseCommand(appId, customerUserId!, token!));
    if (result instanceof DomainError && statusOf(result) === 400) {
      void reply.status(400);
      return jsonApiError(result.source ?? 'stripe_token', result.message, result.code);
    }
    unwrap(result);
    return { data: null };
  }
}
