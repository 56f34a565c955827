import { toReadModel } from '../../projections/profile-status/profile-read-model';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { profileStreamId } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { decideV1Grant } from '../../domain/profile/v1-grant';
import { decideV1Revoke } from '../../domain/profile/v1-revoke';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { ProfileReadModel } from '../../projections/profile-status/profile-read-model';
import { Executed } from '../shared/event-sourced-streams';
import { Ledger } from '../shared/ledger';
import { decidedState } from '../shared/profile-result';
import { LEDGER } from '../shared/ledger.token';
import { ProfileRef } from '../shared/profile-ref';
import { ProfileV1, renderProfileV1 } from './render-profile-v1';
import { GetV1ProfileQuery, ResolveV1ProfileQuery, V1GrantAccessCommand, V1ProfileId, V1RevokeAccessCommand } from './v1.commands';
import { isUuid } from '../../domain/shared/uuid';

export type ProfileV1Result = ProfileV1 | DomainError;


/** A path id shaped like a profile id is tried as one first, then as a customer user id. */
const asProfileId = (id: V1ProfileId): string | null => (!id.customerUserIdOnly && isUuid(id.value) ? id.value.toLowerCase() : null);

/** After a successful decision: the v1 profile as a GET from this client would now see it. */
export async function v1ProfileResult(
  ledger: Ledger,
  appId: string,
  executed: Executed<ProfileState> | DomainError,
): Promise<ProfileV1Result> {
  const state = decidedState(appId, executed);
  if (state instanceof DomainError) return state;
  return renderProfileV1(toReadModel(state), ledger.clock.now().getTime(), { revocations: state.revocations });
}

@QueryHandler(ResolveV1ProfileQuery)
export class ResolveV1ProfileHandler implements IQueryHandler<ResolveV1ProfileQuery, ProfileRef> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute({ appId, id }: ResolveV1ProfileQuery): Promise<ProfileRef> {
    const profileId = asProfileId(id);
    if (profileId !== null) {
      const { state } = await this.ledger.profiles.load(profileStreamId(profileId));
      if (state.exists && state.app_id === appId) return { appId, profileId };
    }
    return { appId, customerUserId: id.value };
  }
}

/** Served from the read model v2 GET serves, after catching up with the log's head. */
@QueryHandler(GetV1ProfileQuery)
export class GetV1ProfileHandler implements IQueryHandler<GetV1ProfileQuery, ProfileV1Result> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute({ appId, id, extended }: GetV1ProfileQuery): Promise<ProfileV1Result> {
    const { readModels } = this.ledger;
    await readModels.profileStatusRunner.catchUpToHead();
    const profileId = asProfileId(id);
    const model: ProfileReadModel | null =
      (profileId !== null ? readModels.profileStatus.findById(appId, profileId) : null) ??
      readModels.profileStatus.findByCustomerUserId(appId, id.value);
    if (!model) return profileNotFound();
    // Only a source with an end can have been revoked: then the revocations tell when (unsubscribed_at).
    const revocations = model.sources.some((s) => s.until !== null)
      ? (await this.ledger.profiles.load(profileStreamId(model.profile_id))).state.revocations
      : [];
    return renderProfileV1(model, this.ledger.clock.now().getTime(), { extended, revocations });
  }
}

@CommandHandler(V1GrantAccessCommand)
export class V1GrantAccessHandler implements ICommandHandler<V1GrantAccessCommand, ProfileV1Result> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: V1GrantAccessCommand): Promise<ProfileV1Result> {
    const executed = await this.ledger.decideOnPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => decideV1Grant(s, cmd.grant, catalogue, ctx));
    return v1ProfileResult(this.ledger, cmd.ref.appId, executed);
  }
}

@CommandHandler(V1RevokeAccessCommand)
export class V1RevokeAccessHandler implements ICommandHandler<V1RevokeAccessCommand, ProfileV1Result> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: V1RevokeAccessCommand): Promise<ProfileV1Result> {
    const revoke = { access_level_id: cmd.accessLevelId, is_refund: cmd.isRefund };
    const executed = await this.ledger.decideOnPurchase(cmd.ref, cmd.source, (s, catalogue, ctx) => decideV1Revoke(s, revoke, catalogue, ctx));
    return v1ProfileResult(this.ledger, cmd.ref.appId, executed);
  }
}
