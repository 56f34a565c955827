import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ListProfileDeliveriesQuery, ProfileDeliveriesPage } from '../../application/profile-deliveries/profile-deliveries.query';
import { validationError } from '../../domain/shared/domain-error';
import { isUuid } from '../../domain/shared/uuid';
import { unwrap } from '../errors/domain-error.exception';
import { cursorOf, pageLimit, positionOf } from '../paging';
import { AppId } from '../profile/profile-ref.decorator';

/** Delivery cursors name a position in the outbox. */
const OUTBOX = 'd';

/** The app's webhook deliveries, filtered by profile (what the support console shows for one customer). */
@Controller('admin/v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly queries: QueryBus) {}

  /** `?profile_id=` (required), `limit` 1–1000 (default 100), `cursor` from the previous page's `next_cursor`. */
  @Get()
  async list(@AppId() appId: string, @Query('profile_id') profileId?: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    if (typeof profileId !== 'string' || !isUuid(profileId)) unwrap(validationError('profile_id', 'profile_id must be a profile id (a UUID).'));
    const before = positionOf(OUTBOX, cursor);
    const q = new ListProfileDeliveriesQuery(appId, profileId!.toLowerCase(), pageLimit(limit), before === null ? null : Number(before));
    const page = await this.queries.execute<ListProfileDeliveriesQuery, ProfileDeliveriesPage>(q);
    return { data: page.data, next_cursor: page.nextBeforeSeq === null ? null : cursorOf(OUTBOX, page.nextBeforeSeq) };
  }
}
