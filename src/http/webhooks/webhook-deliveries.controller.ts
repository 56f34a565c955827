import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { QueryBus } from '@nestjs/cqrs';
import { ListProfileDeliveriesQuery, ProfileDeliveriesPage } from '../../application/profile-deliveries/profile-deliveries.query';
import { validationError } from '../../domain/shared/domain-error';
import { isUuid } from '../../domain/shared/uuid';
import { unwrap } from '../errors/domain-error.exception';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { ApiErrors, ApiKeyedErrors } from '../openapi/api-errors.decorator';
import { AppId } from '../profile/profile-ref.decorator';
import { WebhookDeliveryPageDto } from './webhook-response.dto';

/** Delivery cursors name a position in the outbox. */
const OUTBOX = 'd';

/** The app's webhook deliveries, filtered by profile (what the support console shows for one customer). */
@ApiTags('admin: webhooks')
@ApiSecurity('Api-Key')
@ApiKeyedErrors()
@Controller('admin/v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: "One profile's deliveries to every endpoint of the app, newest first" })
  @ApiQuery({ name: 'profile_id', required: true, description: 'The profile id (a UUID)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000 (default 100)' })
  @ApiQuery({ name: 'cursor', required: false, description: "The previous page's `next_cursor`" })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiErrors(400)
  async list(@AppId() appId: string, @Query('profile_id') profileId?: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    if (typeof profileId !== 'string' || !isUuid(profileId)) unwrap(validationError('profile_id', 'profile_id must be a profile id (a UUID).'));
    const before = positionOf(OUTBOX, cursor);
    const q = new ListProfileDeliveriesQuery(appId, profileId!.toLowerCase(), pageLimit(limit), before === null ? null : Number(before));
    const page = await this.queries.execute<ListProfileDeliveriesQuery, ProfileDeliveriesPage>(q);
    return { data: page.data, next_cursor: page.nextBeforeSeq === null ? null : cursorOf(OUTBOX, page.nextBeforeSeq) };
  }
}
