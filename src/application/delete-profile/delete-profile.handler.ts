import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { erasureStreamId, release, reservationStreamId } from '../../domain/profile/customer-user-id';
import { deleteProfile } from '../../domain/profile/profile.decide';
import { profileStreamId, StoreNotificationRecorded } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { deterministicUuid } from '../../domain/shared/uuid';
import { EVENT_STORE, EventStore } from '../../event-store/event-store.port';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRepository, ReservationRepository } from '../shared/repositories';
import { DeleteProfileCommand } from './delete-profile.command';
import { AppStoreChains } from '../app-store/app-store-chains';
import { APP_STORE } from '../../domain/app-store/app-store-sync';
import { PlayStorePurchases } from '../play-store/play-store-purchases';
import { StripeCustomers } from '../stripe/stripe-customers';

/**
 * Deleting erases: the profile's stream is hard-deleted and its read model row removed.
 * What stays is an anonymous record (the random profile id and the time) in the app's
 * erasure stream, which is also how the read models learn of it.
 */
@CommandHandler(DeleteProfileCommand)
export class DeleteProfileHandler implements ICommandHandler<DeleteProfileCommand, null | DomainError> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly profiles: ProfileRepository,
    private readonly reservations: ReservationRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
    private readonly appStoreChains: AppStoreChains,
    private readonly playPurchases: PlayStorePurchases,
    private readonly stripeCustomers: StripeCustomers,
  ) {}

  async execute(cmd: DeleteProfileCommand): Promise<null | DomainError> {
    const { appId } = cmd.ref;
    const meta = this.context.metadata({ appId, source: cmd.source });
    const executed = await this.decisions.onProfile(cmd.ref, { appId, source: cmd.source, commandId: meta.command_id }, (s) =>
      deleteProfile(s, this.context.decide()),
    );
    if (executed instanceof DomainError) return executed;
    if (!executed.ok) return profileNotFound();
    const { profile_id: profileId, customer_user_id: customerUserId } = executed.before;
    const now = this.context.clock.now();
    await this.store.append(
      erasureStreamId(appId),
      [{ eventId: deterministicUuid(`erase:${profileId}`), type: 'ProfileErased', data: { profile_id: profileId, erased_at: now.toISOString() }, metadata: meta }],
      { expected: 'any', recordedAt: now },
    );
    // The purchase tokens and Stripe customers the profile's history names: their streams are named by them, which the state does not keep.
    const notes = (await this.store.readStream(profileStreamId(profileId))).filter((e) => e.type === 'StoreNotificationRecorded').map((e) => e.data as StoreNotificationRecorded['data']);
    await this.profiles.erase(profileStreamId(profileId));
    await this.playPurchases.forget(appId, profileId, notes.map((n) => n.purchase_token).filter((t): t is string => t !== undefined));
    await this.stripeCustomers.forget(appId, profileId, notes.map((n) => n.stripe_customer).filter((c): c is string => c !== undefined));
    const before = executed.before;
    const appStoreChains = [...before.chains.values()].filter((c) => c.current.store === APP_STORE).map((c) => c.original_id);
    await this.appStoreChains.forget(appId, profileId, [...appStoreChains, ...before.store_notifications.values()]);
    if (customerUserId !== null) {
      await this.reservations.execute(reservationStreamId(appId, customerUserId), (s) => release(s, profileId), meta);
    }
    return null;
  }
}
