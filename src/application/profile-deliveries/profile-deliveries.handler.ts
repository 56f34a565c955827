import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ListProfileDeliveriesQuery, ProfileDeliveriesPage } from './profile-deliveries.query';

/**
 * Reads the outbox after catching up with the log, so a write's deliveries show at once. A profile
 * that is unknown or another app's gets an empty page: the answer tells nothing about other apps.
 */
@QueryHandler(ListProfileDeliveriesQuery)
export class ListProfileDeliveriesHandler implements IQueryHandler<ListProfileDeliveriesQuery, ProfileDeliveriesPage> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(q: ListProfileDeliveriesQuery): Promise<ProfileDeliveriesPage> {
    await this.ledger.readModels.webhookOutboxRunner.catchUpToHead();
    return this.ledger.readModels.outboxAdmin.profileDeliveries(q.appId, q.profileId, q.limit, q.beforeSeq);
  }
}
