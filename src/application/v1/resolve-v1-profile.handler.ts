import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { isUuid } from '../../domain/shared/uuid';
import { ProfileDecisions } from '../shared/profile-decisions';
import { ProfileRef } from '../shared/profile-ref';
import { ResolveV1ProfileQuery, V1ProfileId } from './resolve-v1-profile.query';

/**
 * Which profile a v1 path id names: an id shaped like a profile id of the caller's app is that
 * profile; anything else is a customer user id. The v1 face then dispatches the shared commands
 * and queries with the ProfileRef this answers.
 */
@QueryHandler(ResolveV1ProfileQuery)
export class ResolveV1ProfileHandler implements IQueryHandler<ResolveV1ProfileQuery, ProfileRef> {
  constructor(private readonly decisions: ProfileDecisions) {}

  async execute({ appId, id }: ResolveV1ProfileQuery): Promise<ProfileRef> {
    const profileId = asProfileId(id);
    if (profileId !== null && (await this.decisions.owned({ appId, profileId }))) return { appId, profileId };
    return { appId, customerUserId: id.value };
  }
}

const asProfileId = (id: V1ProfileId): string | null => (!id.customerUserIdOnly && isUuid(id.value) ? id.value.toLowerCase() : null);
