import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  CreateWebhookEndpointCommand,
  DeleteWebhookEndpointCommand,
  GetWebhookEndpointQuery,
  ListDeliveriesQuery,
  ListWebhookEndpointsQuery,
  RedeliverCommand,
  RotateWebhookSecretCommand,
  UpdateWebhookEndpointCommand,
} from '../../application/webhook-endpoints/webhook-endpoint.commands';
import { DomainError } from '../../domain/shared/domain-error';
import { DEFAULT_VERIFICATION, WebhookEndpoint } from '../../domain/webhooks/webhook-endpoint';
import { DeliveryView } from '../../projections/read-model-store.port';
import { unwrap } from '../errors/domain-error.exception';
import { pageLimit } from '../paging';
import { AppId } from '../profile/profile-ref.decorator';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import {
  WebhookDeliveryListDto,
  WebhookDeliveryResponseDto,
  WebhookEndpointListDto,
  WebhookEndpointResponseDto,
} from './webhook-response.dto';

/** Webhook subscriptions of the app the key belongs to. */
@ApiTags('admin: webhooks')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1')
export class WebhookEndpointsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('webhook-endpoints')
  @HttpCode(201)
  @ApiOperation({ summary: 'Subscribe an endpoint (it must accept a verification request first)' })
  @ApiCreatedResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(400, 413, 415)
  async create(@AppId() appId: string, @Body() body: CreateWebhookEndpointDto) {
    const cmd = new CreateWebhookEndpointCommand(
      appId,
      body.url,
      body.verification ?? DEFAULT_VERIFICATION,
      body.authorization ?? null,
      body.event_types ?? null,
      body.environment ?? null,
    );
    return { data: unwrap(await this.commands.execute<CreateWebhookEndpointCommand, WebhookEndpoint | DomainError>(cmd)) };
  }

  @Get('webhook-endpoints')
  @ApiOperation({ summary: "The app's webhook endpoints" })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  async list(@AppId() appId: string) {
    return { data: await this.queries.execute<ListWebhookEndpointsQuery, WebhookEndpoint[]>(new ListWebhookEndpointsQuery(appId)) };
  }

  @Get('webhook-endpoints/:id')
  @ApiOperation({ summary: 'One webhook endpoint' })
  @ApiOkResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(404)
  async get(@AppId() appId: string, @Param('id') id: string) {
    return { data: unwrap(await this.queries.execute<GetWebhookEndpointQuery, WebhookEndpoint | DomainError>(new GetWebhookEndpointQuery(appId, id))) };
  }

  @Patch('webhook-endpoints/:id')
  @ApiOperation({ summary: 'Change url, authorization, event_types, environment or enabled' })
  @ApiOkResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(400, 404, 413, 415)
  async update(@AppId() appId: string, @Param('id') id: string, @Body() body: UpdateWebhookEndpointDto) {
    const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    const cmd = new UpdateWebhookEndpointCommand(appId, id, changes);
    return { data: unwrap(await this.commands.execute<UpdateWebhookEndpointCommand, WebhookEndpoint | DomainError>(cmd)) };
  }

  @Delete('webhook-endpoints/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook endpoint' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404)
  async remove(@AppId() appId: string, @Param('id') id: string): Promise<void> {
    unwrap(await this.commands.execute<DeleteWebhookEndpointCommand, null | DomainError>(new DeleteWebhookEndpointCommand(appId, id)));
  }

  @Post('webhook-endpoints/:id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret; later deliveries are signed with it' })
  @ApiOkResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(404)
  async rotate(@AppId() appId: string, @Param('id') id: string) {
    return { data: unwrap(await this.commands.execute<RotateWebhookSecretCommand, WebhookEndpoint | DomainError>(new RotateWebhookSecretCommand(appId, id))) };
  }

  @Get('webhook-endpoints/:id/deliveries')
  @ApiOperation({ summary: "The endpoint's deliveries, newest first: status, attempts, last response, next attempt" })
  @ApiQuery({ name: 'limit', type: String, required: false, description: '1 to 1000 (default 100)' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiErrors(400, 404)
  async deliveries(@AppId() appId: string, @Param('id') id: string, @Query('limit') limit?: string) {
    const q = new ListDeliveriesQuery(appId, id, pageLimit(limit));
    return { data: unwrap(await this.queries.execute<ListDeliveriesQuery, DeliveryView[] | DomainError>(q)) };
  }

  @Post('webhook-deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a delivered or failed delivery again (same webhook-id)' })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponseDto })
  @ApiErrors(404)
  async redeliver(@AppId() appId: string, @Param('delivery_id') deliveryId: string) {
    return { data: unwrap(await this.commands.execute<RedeliverCommand, DeliveryView | DomainError>(new RedeliverCommand(appId, deliveryId))) };
  }
}
