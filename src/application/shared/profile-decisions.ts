import { CatalogueState } from '../../domain/catalogue/catalogue';
import { reservationStreamId } from '../../domain/profile/customer-user-id';
import { DecideContext, Decision, purchaseProfileNotFound } from '../../domain/profile/profile.decide';
import { profileStreamId } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { CommandContext } from './command-context';
import { Executed } from './event-sourced-repository';
import { Origin, ProfileRef } from './profile-ref';
import { CatalogueRepository, ProfileRepository, ReservationRepository } from './repositories';

/** Runs decisions on the profile a request names, within the caller's app. */
export class ProfileDecisions {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly reservations: ReservationRepository,
    private readonly catalogues: CatalogueRepository,
    private readonly context: CommandContext,
  ) {}

  /** The profile id a reference points at, from the source of truth (not a read model). */
  async resolveProfileId(ref: ProfileRef): Promise<string | null> {
    if (ref.profileId) return ref.profileId;
    if (ref.customerUserId === undefined) return null;
    const { state } = await this.reservations.load(reservationStreamId(ref.appId, ref.customerUserId));
    return state.profile_id;
  }

  /** The profile a reference names, if it exists in the caller's app: its id and state (read fresh). */
  async owned(ref: ProfileRef): Promise<{ profileId: string; state: ProfileState } | null> {
    const profileId = await this.resolveProfileId(ref);
    if (!profileId) return null;
    const { state } = await this.profiles.load(profileStreamId(profileId));
    return state.exists && state.app_id === ref.appId ? { profileId, state } : null;
  }

  /**
   * Runs a decision on the profile a reference names. A profile of another app is treated
   * exactly like a missing one: no key reaches another app's data.
   */
  async onProfile(
    ref: ProfileRef,
    origin: Origin,
    decide: (state: ProfileState) => Decision,
    notFound: () => DomainError = profileNotFound,
  ): Promise<Executed<ProfileState> | DomainError> {
    const profileId = await this.resolveProfileId(ref);
    if (!profileId) return notFound();
    const guarded = (state: ProfileState): Decision => (state.exists && state.app_id !== ref.appId ? notFound() : decide(state));
    const result = await this.profiles.execute(profileStreamId(profileId), guarded, this.context.metadata(origin));
    if (!result.ok && 'deleted' in result) return notFound();
    if (!result.ok) return result.error;
    return result;
  }

  /**
   * A purchase or access decision (set transaction, grant, revoke, from either face): it needs the
   * app's catalogue, and a missing profile is Adapty's 400 with source non_field_errors.
   */
  async onPurchase(
    ref: ProfileRef,
    source: string,
    decide: (state: ProfileState, catalogue: CatalogueState, ctx: DecideContext) => Decision,
  ): Promise<Executed<ProfileState> | DomainError> {
    const catalogue = await this.catalogues.catalogue(ref.appId);
    return this.onProfile(ref, { appId: ref.appId, source }, (s) => decide(s, catalogue, this.context.decide()), purchaseProfileNotFound);
  }
}
