import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { LinkResult } from '../../application/app-store/app-store-chains';
import { IntakeResult } from '../../application/app-store/app-store-intake';
import {
  GetAppStoreChainQuery,
  GetAppStoreSetupQuery,
  LinkAppStoreTransactionCommand,
  ListUnattributedQuery,
  ReceiveAppStoreNotificationCommand,
  RemoveAppStoreSetupCommand,
  SaveAppStoreSetupCommand,
} from '../../application/app-store/app-store.commands';
import { AppStoreChainView, AppStoreSetupView, UnattributedView } from '../../application/app-store/app-store.handlers';
import { APPLE_ENVIRONMENTS } from '../../domain/app-store/app-store-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { Public } from '../auth/public.decorator';
import { unwrap } from '../errors/domain-error.exception';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { AppId } from '../profile/profile-ref.decorator';
import { AppStoreNotificationDto, LinkAppStoreTransactionDto, SaveAppStoreSetupDto } from './app-store.dto';
import { linkedProfileOf } from './linked-profile';
import { withUrl } from './store-url';

/** An app's App Store intake: its setup, links of transactions to profiles, what waits for an owner. */
@ApiTags('admin: App Store')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1/stores/app-store')
export class AppStoreAdminController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put()
  @ApiOperation({ summary: 'Set up App Store Server Notifications for this app (bundle id, app Apple id, environments)' })
  @ApiOkResponse({ description: 'The setup, with the notification URL to paste into App Store Connect' })
  @ApiErrors(400, 413, 415)
  async save(@AppId() appId: string, @Body() body: SaveAppStoreSetupDto, @Req() request: FastifyRequest) {
    const setup = { bundle_id: body.bundle_id, app_apple_id: body.app_apple_id ?? null, environments: body.environments ?? [...APPLE_ENVIRONMENTS] };
    const view = unwrap(await this.commands.execute<SaveAppStoreSetupCommand, AppStoreSetupView | DomainError>(new SaveAppStoreSetupCommand(appId, setup)));
    return { data: withUrl(view, request) };
  }

  @Get()
  @ApiOperation({ summary: 'The setup, the notification URL, when notifications last came and how many were accepted or refused (by reason)' })
  @ApiOkResponse({ description: 'The setup and its counts' })
  @ApiErrors(404)
  async get(@AppId() appId: string, @Req() request: FastifyRequest) {
    const view = unwrap(await this.queries.execute<GetAppStoreSetupQuery, AppStoreSetupView | DomainError>(new GetAppStoreSetupQuery(appId)));
    return { data: withUrl(view, request) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop the intake: notifications are refused (404) until the app is set up again' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404)
  async remove(@AppId() appId: string): Promise<void> {
    unwrap(await this.commands.execute<RemoveAppStoreSetupCommand, null | DomainError>(new RemoveAppStoreSetupCommand(appId)));
  }

  @Post('links')
  @HttpCode(200)
  @ApiOperation({ summary: 'A profile claims an original transaction: what waited for it is applied now, in signed order' })
  @ApiOkResponse({ description: 'The owner, the previous owner when moved, and how many notifications were applied' })
  @ApiErrors(400, 404, 409, 413, 415)
  async link(@AppId() appId: string, @Body() body: LinkAppStoreTransactionDto) {
    const ref = linkedProfileOf(appId, body);
    const cmd = new LinkAppStoreTransactionCommand(ref, body.original_transaction_id, body.transfer ?? false);
    return { data: unwrap(await this.commands.execute<LinkAppStoreTransactionCommand, LinkResult | DomainError>(cmd)) };
  }

  @Get('unattributed')
  @ApiOperation({ summary: 'Original transactions whose notifications wait for a profile, oldest wait first (paged)' })
  @ApiQuery({ name: 'limit', type: String, required: false, description: '1 to 1000 (default 100)' })
  @ApiQuery({ name: 'cursor', type: String, required: false, description: 'next_cursor of the previous page' })
  @ApiOkResponse({ description: 'A page of waiting transactions' })
  @ApiErrors(400)
  async unattributed(@AppId() appId: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const offset = Number(positionOf('app-store-unattributed', cursor) ?? 0n);
    const page = await this.queries.execute<ListUnattributedQuery, { data: UnattributedView[]; next_offset: number | null }>(
      new ListUnattributedQuery(appId, pageLimit(limit), offset),
    );
    return { data: page.data, next_cursor: page.next_offset === null ? null : cursorOf('app-store-unattributed', page.next_offset) };
  }

  @Get('transactions/:original_transaction_id')
  @ApiOperation({ summary: "An original transaction's evidence: every notification with Apple's signed payload, and who claimed it" })
  @ApiOkResponse({ description: 'The notifications and claims' })
  @ApiErrors(404)
  async chain(@AppId() appId: string, @Param('original_transaction_id') originalId: string) {
    return { data: unwrap(await this.queries.execute<GetAppStoreChainQuery, AppStoreChainView | DomainError>(new GetAppStoreChainQuery(appId, originalId))) };
  }
}

/** Where App Store Connect sends notifications. No key: Apple's signature is the authentication. */
@ApiTags('stores: App Store')
@Controller('stores/app-store')
export class AppStoreNotificationsController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Post(':app_id/notifications')
  @HttpCode(200)
  @ApiOperation({ summary: 'App Store Server Notifications V2: {"signedPayload": "…"} exactly as Apple sends it' })
  @ApiBody({ type: AppStoreNotificationDto })
  @ApiOkResponse({ description: 'Verified and recorded (also a repeat, a type that changes nothing, or one waiting for a profile)' })
  @ApiErrors(400, 401, 403, 404, 413, 415, 429, 500, 503)
  async receive(@Param('app_id') appId: string, @Body() body: unknown) {
    return { data: unwrap(await this.commands.execute<ReceiveAppStoreNotificationCommand, IntakeResult | DomainError>(new ReceiveAppStoreNotificationCommand(appId, body))) };
  }
}
