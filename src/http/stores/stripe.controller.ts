import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, Headers, HttpCode, OnModuleInit, Param, Post, Put, Query, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StripeLinkResult } from '../../application/stripe/stripe-customers';
import { StripeIntakeResult } from '../../application/stripe/stripe-intake';
import { GetStripeSetupQuery, LinkStripeCustomerCommand, ListUnattributedStripeCustomersQuery, ReceiveStripeWebhookCommand, RemoveStripeSetupCommand, SaveStripeSetupCommand } from '../../application/stripe/stripe.commands';
import { StripeSetupView, UnattributedStripeView } from '../../application/stripe/stripe.handlers';
import { DomainError } from '../../domain/shared/domain-error';
import { Public } from '../auth/public.decorator';
import { unwrap } from '../errors/domain-error.exception';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { AppId } from '../profile/profile-ref.decorator';
import { linkedProfileOf } from './linked-profile';
import { originOf } from './store-url';
import { LinkStripeCustomerDto, SaveStripeSetupDto } from './stripe.dto';

const WEBHOOKS = /^\/stores\/stripe\/[^/?]+\/webhooks\/?(\?|$)/;

type WithRawBody = FastifyRequest & { rawBody?: Buffer };

/** An app's Stripe intake: its setup, links of customers to profiles, what waits for an owner. */
@ApiTags('admin: Stripe')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1/stores/stripe')
export class StripeAdminController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put()
  @ApiOperation({ summary: 'Set up Stripe webhooks (signing secret; optionally an API key for re-reads and validation); secrets are never read back' })
  @ApiOkResponse({ description: 'The setup without secrets, with the webhook URL and the events to select' })
  @ApiErrors(400, 413, 415)
  async save(@AppId() appId: string, @Body() body: SaveStripeSetupDto, @Req() request: FastifyRequest) {
    const view = unwrap(await this.commands.execute<SaveStripeSetupCommand, StripeSetupView | DomainError>(new SaveStripeSetupCommand(appId, body.webhook_secret, body.api_key ?? null)));
    return { data: withWebhookUrl(view, request) };
  }

  @Get()
  @ApiOperation({ summary: 'The setup (no secrets), the webhook URL, when events last came and how many were accepted or refused' })
  @ApiOkResponse({ description: 'The setup and its counts' })
  @ApiErrors(404)
  async get(@AppId() appId: string, @Req() request: FastifyRequest) {
    const view = unwrap(await this.queries.execute<GetStripeSetupQuery, StripeSetupView | DomainError>(new GetStripeSetupQuery(appId)));
    return { data: withWebhookUrl(view, request) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop the intake and forget the secrets: events are refused (404) until the app is set up again' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404)
  async remove(@AppId() appId: string): Promise<void> {
    unwrap(await this.commands.execute<RemoveStripeSetupCommand, null | DomainError>(new RemoveStripeSetupCommand(appId)));
  }

  @Post('links')
  @HttpCode(200)
  @ApiOperation({ summary: 'A profile claims a Stripe customer (or the customer of a subscription): what waited for it is applied now' })
  @ApiOkResponse({ description: 'The owner, the previous owner when moved, and how many events were applied' })
  @ApiErrors(400, 404, 409, 410, 413, 415)
  async link(@AppId() appId: string, @Body() body: LinkStripeCustomerDto) {
    const cmd = new LinkStripeCustomerCommand(linkedProfileOf(appId, body), body.customer_id, body.transfer ?? false);
    return { data: unwrap(await this.commands.execute<LinkStripeCustomerCommand, StripeLinkResult | DomainError>(cmd)) };
  }

  @Get('unattributed')
  @ApiOperation({ summary: 'Stripe customers whose events wait for a profile, oldest wait first (paged)' })
  @ApiQuery({ name: 'limit', type: String, required: false, description: '1 to 1000 (default 100)' })
  @ApiQuery({ name: 'cursor', type: String, required: false, description: 'next_cursor of the previous page' })
  @ApiOkResponse({ description: 'A page of waiting customers' })
  @ApiErrors(400)
  async unattributed(@AppId() appId: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const offset = Number(positionOf('stripe-unattributed', cursor) ?? 0n);
    const page = await this.queries.execute<ListUnattributedStripeCustomersQuery, { data: UnattributedStripeView[]; next_offset: number | null }>(
      new ListUnattributedStripeCustomersQuery(appId, pageLimit(limit), offset),
    );
    return { data: page.data, next_cursor: page.next_offset === null ? null : cursorOf('stripe-unattributed', page.next_offset) };
  }
}

/** The URL to give the Stripe webhook endpoint. */
function withWebhookUrl(view: StripeSetupView, request: FastifyRequest) {
  const origin = originOf(request);
  return { ...view, webhook_url: origin === null ? null : `${origin}${view.webhook_path}` };
}

/**
 * Where a Stripe webhook endpoint delivers. No key: Stripe's signature over the raw body is the
 * authentication, so that body is kept as it came (a hook on this path only; every other route
 * parses as before).
 */
@ApiTags('stores: Stripe')
@Controller('stores/stripe')
export class StripeWebhooksController implements OnModuleInit {
  constructor(
    private readonly commands: CommandBus,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('preParsing', async (request, _reply, payload) => {
      if (request.method !== 'POST' || !WEBHOOKS.test(request.url)) return payload;
      const chunks: Buffer[] = [];
      for await (const chunk of payload) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      const raw = Buffer.concat(chunks);
      (request as WithRawBody).rawBody = raw;
      const again = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
      again.receivedEncodedLength = raw.length;
      return again;
    });
  }

  @Public()
  @Post(':app_id/webhooks')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stripe webhook events, exactly as Stripe sends them (verified by Stripe-Signature)' })
  @ApiOkResponse({ description: 'Verified and recorded (also a repeat, an event type the ledger does not keep, or one waiting for a profile)' })
  @ApiErrors(400, 404, 413, 415, 429, 500, 503)
  async receive(@Param('app_id') appId: string, @Req() request: WithRawBody, @Headers('stripe-signature') signature?: string) {
    const cmd = new ReceiveStripeWebhookCommand(appId, request.rawBody ?? null, typeof signature === 'string' ? signature : null);
    return { data: unwrap(await this.commands.execute<ReceiveStripeWebhookCommand, StripeIntakeResult | DomainError>(cmd)) };
  }
}
