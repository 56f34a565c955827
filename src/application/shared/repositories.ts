import { CatalogueEvent, CatalogueState, catalogueStreamId } from '../../domain/catalogue/catalogue';
import { ReservationEvent, ReservationState } from '../../domain/profile/customer-user-id';
import { ProfileEvent } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { EndpointEvent, EndpointsState } from '../../domain/webhooks/webhook-endpoint';
import { EventSourcedRepository } from './event-sourced-repository';

/* One repository per kind of stream; each is its own injection token, so a handler asks for what it uses. */

export class ProfileRepository extends EventSourcedRepository<ProfileState, ProfileEvent> {}

export class CatalogueRepository extends EventSourcedRepository<CatalogueState, CatalogueEvent> {
  async catalogue(appId: string): Promise<CatalogueState> {
    return (await this.load(catalogueStreamId(appId))).state;
  }
}

/** customer_user_id → profile id, one stream per (app, hashed id). */
export class ReservationRepository extends EventSourcedRepository<ReservationState, ReservationEvent> {}

export class EndpointRepository extends EventSourcedRepository<EndpointsState, EndpointEvent> {}
