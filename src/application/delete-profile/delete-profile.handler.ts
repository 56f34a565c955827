import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { erasureStreamId, release, reservationStreamId } from '../../domain/profile/customer-user-id';
import { deleteProfile } from '../../domain/profile/profile.decide';
import { profileStreamId } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { deterministicUuid } from '../../domain/shared/uuid';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { DeleteProfileCommand } from './delete-profile.command';

/**
 * Deleting erases: the profile's stream is hard-deleted and its read model row removed.
 * What stays is an anonymous record (the random profile id and the time) in the app's
 * erasure stream, which is also how the read models learn of it.
 */
@CommandHandler(DeleteProfileCommand)
export class DeleteProfileHandler implements ICommandHandler<DeleteProfileCommand, null | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: DeleteProfileCommand): Promise<null | DomainError> {
    const { appId } = cmd.ref;
    const origin = { appId, source: cmd.source };
    const executed = await this.ledger.decideOnProfile(cmd.ref, origin, (s) => deleteProfile(s, this.ledger.context()));
    if (executed instanceof DomainError) return executed;
    if (!executed.ok) return profileNotFound();
    const { profile_id: profileId, customer_user_id: customerUserId } = executed.before;
    const meta = this.ledger.metadata(origin);
    const now = this.ledger.clock.now();
    const erased = await this.ledger.store.append(
      erasureStreamId(appId),
      [{ eventId: deterministicUuid(`erase:${profileId}`), type: 'ProfileErased', data: { profile_id: profileId, erased_at: now.toISOString() }, metadata: meta }],
      { expected: 'any', recordedAt: now },
    );
    await this.ledger.store.deleteStream(profileStreamId(profileId));
    this.ledger.profiles.forget(profileStreamId(profileId));
    if (customerUserId !== null) {
      await this.ledger.reservations.execute(reservationStreamId(appId, customerUserId), (s) => release(s, profileId), meta);
    }
    await this.ledger.readModels.profileStatusRunner.catchUpTo(erased.position);
    return null;
  }
}
