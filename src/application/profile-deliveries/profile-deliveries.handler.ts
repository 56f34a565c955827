import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../../domain/shared/domain-error';
import { Outbox } from '../webhook-deliveries/outbox';
import { ListProfileDeliveriesQuery, ProfileDeliveriesPage } from './profile-deliveries.query';

/**
 * Reads the outbox once it holds every acked write, so a write's deliveries show at once. A profile
 * that is unknown or another app's gets an empty page: the answer tells nothing about other apps.
 */
@QueryHandler(ListProfileDeliveriesQuery)
export class ListProfileDeliveriesHandler implements IQueryHandler<ListProfileDeliveriesQuery, ProfileDeliveriesPage | DomainError> {
  constructor(private readonly outbox: Outbox) {}

  execute(q: ListProfileDeliveriesQuery): Promise<ProfileDeliveriesPage | DomainError> {
    return this.outbox.profileDeliveries(q.appId, q.profileId, q.limit, q.beforeSeq);
  }
}
