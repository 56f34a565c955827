import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { release, reservationStreamId, reserve } from '../../domain/profile/customer-user-id';
import { attachCustomerUserId, createProfile } from '../../domain/profile/profile.decide';
import { profileStreamId } from '../../domain/profile/profile.events';
import { DomainError, profileNotFound, validationError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileResult, profileResult } from '../shared/profile-result';
import { ProfileRepository, ReservationRepository } from '../shared/repositories';
import { CreateProfileCommand } from './create-profile.command';

/**
 * Creating by customer_user_id is idempotent: the reservation stream decides which profile
 * id the customer gets, so parallel creates of one id all answer with the same profile.
 */
@CommandHandler(CreateProfileCommand)
export class CreateProfileHandler implements ICommandHandler<CreateProfileCommand, ProfileResult> {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly reservations: ReservationRepository,
    private readonly decisions: ProfileDecisions,
    private readonly context: CommandContext,
  ) {}

  private result(appId: string, executed: Parameters<typeof profileResult>[1]): ProfileResult {
    return profileResult(appId, executed, this.context.clock.now().getTime());
  }

  async execute(cmd: CreateProfileCommand): Promise<ProfileResult> {
    const { ref } = cmd;
    if (ref.profileId && ref.customerUserId !== undefined) return this.attach(cmd, ref.profileId, ref.customerUserId);
    if (ref.profileId) {
      return this.result(ref.appId, await this.decisions.onProfile(ref, this.origin(cmd), () => []));
    }
    if (ref.customerUserId === undefined) {
      return validationError('adapty-customer-user-id', 'Send the adapty-customer-user-id or adapty-profile-id header.');
    }
    const reservation = reservationStreamId(ref.appId, ref.customerUserId);
    const meta = this.context.metadata(this.origin(cmd));
    for (let attempt = 0; attempt < 5; attempt++) {
      const reserved = await this.reservations.execute(reservation, (s) => reserve(s, this.context.ids.next()), meta);
      if (!reserved.ok) throw new Error('customer id reservation stream was deleted');
      const profileId = reserved.state.profile_id!;
      const erased = profileNotFound();
      const created = await this.profiles.execute(
        profileStreamId(profileId),
        (s) =>
          s.deleted
            ? erased
            : s.exists && s.app_id !== ref.appId
            ? profileNotFound()
            : createProfile(
                s,
                {
                  app_id: ref.appId,
                  profile_id: profileId,
                  customer_user_id: ref.customerUserId!,
                  attributes: cmd.attributes,
                  custom_attributes: cmd.customAttributes,
                },
                this.context.decide(),
              ),
        meta,
      );
      if (created.ok) {
        const result = this.result(ref.appId, created);
        // A delete that raced this create erased the profile before it could be read: create afresh.
        if (!(result instanceof DomainError)) return result;
      } else if ('error' in created && created.error !== erased) {
        return created.error;
      }
      // The reserved profile was erased (or is being erased) but the reservation outlived it: free it and retry.
      await this.reservations.execute(reservation, (s) => release(s, profileId), meta);
    }
    throw new Error('could not create the profile: its customer id reservation keeps pointing at erased profiles');
  }

  /** Both headers: attach the customer_user_id to the existing profile. */
  private async attach(cmd: CreateProfileCommand, profileId: string, customerUserId: string): Promise<ProfileResult> {
    const { appId } = cmd.ref;
    const meta = this.context.metadata(this.origin(cmd));
    const { state } = await this.profiles.load(profileStreamId(profileId));
    if (!state.exists || state.app_id !== appId) return profileNotFound();
    const reserved = await this.reservations.execute(
      reservationStreamId(appId, customerUserId),
      (s) => reserve(s, profileId),
      meta,
    );
    if (reserved.ok && reserved.state.profile_id !== profileId) {
      return new DomainError('customer_user_id_taken', 'customer_user_id', 'This customer_user_id already belongs to another profile.');
    }
    const executed = await this.decisions.onProfile({ appId, profileId }, { ...this.origin(cmd), commandId: meta.command_id }, (s) =>
      attachCustomerUserId(s, customerUserId),
    );
    // The id this attach replaced: the state right before it was applied (parallel attaches each free their predecessor's).
    const previous = !(executed instanceof DomainError) && executed.ok ? executed.before.customer_user_id : null;
    if (previous !== null && previous !== customerUserId) {
      await this.reservations.execute(reservationStreamId(appId, previous), (s) => release(s, profileId), meta);
    }
    return this.result(appId, executed);
  }

  private origin(cmd: CreateProfileCommand) {
    return { appId: cmd.ref.appId, source: cmd.source };
  }
}
