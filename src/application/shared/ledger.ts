import { Logger } from '@nestjs/common';
import {
  CatalogueEvent,
  CatalogueState,
  catalogueStreamId,
  evolveCatalogue,
  initialCatalogue,
} from '../../domain/catalogue/catalogue';
import {
  evolveReservation,
  initialReservation,
  ReservationEvent,
  ReservationState,
  reservationStreamId,
} from '../../domain/profile/customer-user-id';
import { DecideContext, Decision, purchaseProfileNotFound } from '../../domain/profile/profile.decide';
import { ProfileEvent, profileStreamId } from '../../domain/profile/profile.events';
import { evolve, initialProfileState, ProfileState } from '../../domain/profile/profile.state';
import { Clock } from '../../domain/shared/clock';
import { IdGenerator } from '../../domain/shared/uuid';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { EventStore } from '../../event-store/event-store.port';
import { EndpointEvent, EndpointsState, evolveEndpoints, initialEndpoints } from '../../domain/webhooks/webhook-endpoint';
import { ReadModels } from '../../projections/read-models';
import { EventSourcedStreams, Executed } from './event-sourced-streams';
import { Origin, ProfileRef } from './profile-ref';

/** What every use case shares: the streams it decides on, the read models it answers from, the clock. */
export class Ledger {
  readonly profiles: EventSourcedStreams<ProfileState, ProfileEvent>;
  readonly catalogues: EventSourcedStreams<CatalogueState, CatalogueEvent>;
  readonly reservations: EventSourcedStreams<ReservationState, ReservationEvent>;
  readonly endpoints: EventSourcedStreams<EndpointsState, EndpointEvent>;

  private readonly logger = new Logger('Ledger');

  constructor(
    readonly store: EventStore,
    readonly readModels: ReadModels,
    readonly clock: Clock,
    readonly ids: IdGenerator,
  ) {
    this.profiles = new EventSourcedStreams(store, initialProfileState, evolve, clock);
    this.catalogues = new EventSourcedStreams(store, initialCatalogue, evolveCatalogue, clock);
    this.reservations = new EventSourcedStreams(store, initialReservation, evolveReservation, clock);
    this.endpoints = new EventSourcedStreams(store, initialEndpoints, evolveEndpoints, clock);
  }

  context(): DecideContext {
    return { now: this.clock.now(), newId: () => this.ids.next() };
  }

  metadata(origin: Origin): Record<string, unknown> {
    return { app_id: origin.appId, source: origin.source, command_id: origin.commandId ?? this.ids.next() };
  }

  async catalogue(appId: string): Promise<CatalogueState> {
    return (await this.catalogues.load(catalogueStreamId(appId))).state;
  }

  /** The profile id a reference points at, from the source of truth (not a read model). */
  async resolveProfileId(ref: ProfileRef): Promise<string | null> {
    if (ref.profileId) return ref.profileId;
    if (ref.customerUserId === undefined) return null;
    const { state } = await this.reservations.load(reservationStreamId(ref.appId, ref.customerUserId));
    return state.profile_id;
  }

  /**
   * Runs a decision on the profile a reference names. A profile of another app is treated
   * exactly like a missing one: no key reaches another app's data.
   */
  async decideOnProfile(
    ref: ProfileRef,
    origin: Origin,
    decide: (state: ProfileState) => Decision,
    notFound: () => DomainError = profileNotFound,
  ): Promise<Executed<ProfileState> | DomainError> {
    const profileId = await this.resolveProfileId(ref);
    if (!profileId) return notFound();
    const guarded = (state: ProfileState): Decision => (state.exists && state.app_id !== ref.appId ? notFound() : decide(state));
    const result = await this.profiles.execute(profileStreamId(profileId), guarded, this.metadata(origin));
    if (!result.ok && 'deleted' in result) return notFound();
    if (!result.ok) return result.error;
    if (result.position !== null) this.afterWrite(result.position);
    return result;
  }

  /**
   * A purchase or access decision (set transaction, grant, revoke, in v2 or v1): it needs the
   * app's catalogue, and a missing profile is Adapty's 400 with source non_field_errors.
   */
  async decideOnPurchase(
    ref: ProfileRef,
    source: string,
    decide: (state: ProfileState, catalogue: CatalogueState, ctx: DecideContext) => Decision,
  ): Promise<Executed<ProfileState> | DomainError> {
    const catalogue = await this.catalogue(ref.appId);
    return this.decideOnProfile(ref, { appId: ref.appId, source }, (s) => decide(s, catalogue, this.context()), purchaseProfileNotFound);
  }

  /** Lets the webhook outbox pick a write up at once (a latency shortcut; polling is the guarantee). */
  afterWrite(position: bigint): void {
    this.readModels.kick(position, (e) => this.logger.error(e instanceof Error ? e.message : String(e)));
  }

  async close(): Promise<void> {
    await this.readModels.close();
    await this.store.close();
  }
}
