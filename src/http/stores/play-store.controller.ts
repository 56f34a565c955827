import { createPrivateKey } from 'node:crypto';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PlayIntakeResult } from '../../application/play-store/play-store-intake';
import { ServiceAccountKey } from '../../application/play-store/play-store-ports';
import { PlayLinkResult } from '../../application/play-store/play-store-purchases';
import {
  GetPlayPurchaseQuery,
  GetPlayStoreSetupQuery,
  LinkPlayPurchaseCommand,
  ListUnattributedPlayPurchasesQuery,
  ReceivePlayStoreNotificationCommand,
  RemovePlayStoreSetupCommand,
  SavePlayStoreSetupCommand,
} from '../../application/play-store/play-store.commands';
import { PlayPurchaseView, PlayStoreSetupView, UnattributedPlayView } from '../../application/play-store/play-store.handlers';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { Public } from '../auth/public.decorator';
import { unwrap } from '../errors/domain-error.exception';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { AppId } from '../profile/profile-ref.decorator';
import { LinkPlayPurchaseDto, PlayPurchaseTokenQueryDto, PlayStorePushDto, SavePlayStoreSetupDto } from './play-store.dto';
import { linkedProfileOf } from './linked-profile';
import { withUrl } from './store-url';

/** A service-account key the ledger can sign with: an email and a private key that parses. */
function serviceAccountOf(raw: Record<string, unknown>): ServiceAccountKey {
  const email = raw.client_email;
  const key = raw.private_key;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) unwrap(validationError('service_account', 'service_account.client_email is missing: paste the JSON key as Google Cloud gives it.'));
  let parses = typeof key === 'string';
  try {
    if (parses) createPrivateKey(key as string);
  } catch {
    parses = false;
  }
  if (!parses) unwrap(validationError('service_account', 'service_account.private_key is not a PEM private key.'));
  const uri = raw.token_uri;
  if (uri !== undefined && (typeof uri !== 'string' || !/^https?:\/\//.test(uri))) unwrap(validationError('service_account', 'service_account.token_uri must be an http(s) URL.'));
  return raw as ServiceAccountKey;
}

/** An app's Google Play intake: its setup, links of purchase tokens to profiles, what waits for an owner. */
@ApiTags('admin: Google Play')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1/stores/play-store')
export class PlayStoreAdminController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put()
  @ApiOperation({ summary: 'Set up Google Play real-time developer notifications (package, service account, push authentication); secrets are never read back' })
  @ApiOkResponse({ description: 'The setup without secrets, with the push URL to give the Pub/Sub push subscription' })
  @ApiErrors(400, 413, 415)
  async save(@AppId() appId: string, @Body() body: SavePlayStoreSetupDto, @Req() request: FastifyRequest) {
    const oidc = body.push_audience !== undefined || body.push_service_account_email !== undefined;
    if (oidc === (body.push_token !== undefined)) {
      unwrap(validationError('push_token', 'Authenticate pushes either by OIDC (push_audience and push_service_account_email) or by push_token, not both.'));
    }
    if (oidc && (body.push_audience === undefined || body.push_service_account_email === undefined)) {
      unwrap(validationError(body.push_audience === undefined ? 'push_audience' : 'push_service_account_email', 'OIDC push authentication needs both push_audience and push_service_account_email.'));
    }
    const input = {
      package_name: body.package_name,
      service_account: serviceAccountOf(body.service_account),
      push_audience: body.push_audience ?? null,
      push_service_account_email: body.push_service_account_email ?? null,
      push_token: body.push_token ?? null,
      acknowledge: body.acknowledge ?? false,
    };
    const view = unwrap(await this.commands.execute<SavePlayStoreSetupCommand, PlayStoreSetupView | DomainError>(new SavePlayStoreSetupCommand(appId, input)));
    return { data: withUrl(view, request) };
  }

  @Get()
  @ApiOperation({ summary: 'The setup (no secrets), the push URL, when pushes last came and how many were accepted or refused (by reason)' })
  @ApiOkResponse({ description: 'The setup and its counts' })
  @ApiErrors(404)
  async get(@AppId() appId: string, @Req() request: FastifyRequest) {
    const view = unwrap(await this.queries.execute<GetPlayStoreSetupQuery, PlayStoreSetupView | DomainError>(new GetPlayStoreSetupQuery(appId)));
    return { data: withUrl(view, request) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop the intake and forget the secrets: pushes are refused (404) until the app is set up again' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404)
  async remove(@AppId() appId: string): Promise<void> {
    unwrap(await this.commands.execute<RemovePlayStoreSetupCommand, null | DomainError>(new RemovePlayStoreSetupCommand(appId)));
  }

  @Post('links')
  @HttpCode(200)
  @ApiOperation({ summary: 'A profile claims a purchase token: what waited for it is applied now, in event order' })
  @ApiOkResponse({ description: 'The owner, the previous owner when moved, and how many notifications were applied' })
  @ApiErrors(400, 404, 409, 410, 413, 415)
  async link(@AppId() appId: string, @Body() body: LinkPlayPurchaseDto) {
    const ref = linkedProfileOf(appId, body);
    const cmd = new LinkPlayPurchaseCommand(ref, body.purchase_token, body.transfer ?? false);
    return { data: unwrap(await this.commands.execute<LinkPlayPurchaseCommand, PlayLinkResult | DomainError>(cmd)) };
  }

  @Get('unattributed')
  @ApiOperation({ summary: 'Purchase tokens whose notifications wait for a profile, oldest wait first (paged)' })
  @ApiQuery({ name: 'limit', type: String, required: false, description: '1 to 1000 (default 100)' })
  @ApiQuery({ name: 'cursor', type: String, required: false, description: 'next_cursor of the previous page' })
  @ApiOkResponse({ description: 'A page of waiting purchase tokens' })
  @ApiErrors(400)
  async unattributed(@AppId() appId: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const offset = Number(positionOf('play-store-unattributed', cursor) ?? 0n);
    const page = await this.queries.execute<ListUnattributedPlayPurchasesQuery, { data: UnattributedPlayView[]; next_offset: number | null }>(
      new ListUnattributedPlayPurchasesQuery(appId, pageLimit(limit), offset),
    );
    return { data: page.data, next_cursor: page.next_offset === null ? null : cursorOf('play-store-unattributed', page.next_offset) };
  }

  @Get('purchases')
  @ApiOperation({ summary: "A purchase token's evidence: every notification with the Play API's answer, and who claimed it (the token goes in the query: it is long)" })
  @ApiOkResponse({ description: 'The records and claims' })
  @ApiErrors(400, 404)
  async purchase(@AppId() appId: string, @Query() query: PlayPurchaseTokenQueryDto) {
    return { data: unwrap(await this.queries.execute<GetPlayPurchaseQuery, PlayPurchaseView | DomainError>(new GetPlayPurchaseQuery(appId, query.purchase_token))) };
  }
}

/** Where the Pub/Sub push subscription delivers. No key: the push's OIDC token, or the token in the URL, is the authentication. */
@ApiTags('stores: Google Play')
@Controller('stores/play-store')
export class PlayStoreNotificationsController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Post(':app_id/notifications')
  @HttpCode(200)
  @ApiOperation({ summary: 'Google Play real-time developer notifications: the Pub/Sub push body exactly as Pub/Sub sends it' })
  @ApiQuery({ name: 'token', type: String, required: false, description: "The setup's push_token, when pushes are not authenticated by OIDC" })
  @ApiBody({ type: PlayStorePushDto })
  @ApiOkResponse({ description: 'Authenticated and recorded (also a repeat, a test, a type that changes nothing, or one waiting for a profile)' })
  @ApiErrors(400, 401, 403, 404, 413, 415, 429, 500, 503)
  async receive(@Param('app_id') appId: string, @Body() body: unknown, @Headers('authorization') authorization?: string, @Query('token') token?: string) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? null;
    const cmd = new ReceivePlayStoreNotificationCommand(appId, body, { bearer, urlToken: typeof token === 'string' ? token : null });
    return { data: unwrap(await this.commands.execute<ReceivePlayStoreNotificationCommand, PlayIntakeResult | DomainError>(cmd)) };
  }
}
