import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { profileNotFound } from '../../domain/shared/domain-error';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult } from '../shared/profile-result';
import { GetProfileQuery } from './get-profile.query';

/** Served from the read model, after catching up with the log's head (read-your-writes across processes). */
@QueryHandler(GetProfileQuery)
export class GetProfileHandler implements IQueryHandler<GetProfileQuery, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute({ ref }: GetProfileQuery): Promise<ProfileResult> {
    const { readModels } = this.ledger;
    await readModels.profileStatusRunner.catchUpToHead();
    const { profileStatus } = readModels;
    const now = this.ledger.clock.now().getTime();
    const profile = ref.profileId
      ? readModels.renderedProfiles.get(`${ref.appId}\0p\0${ref.profileId}`, now, () => profileStatus.findById(ref.appId, ref.profileId!))
      : ref.customerUserId !== undefined
        ? readModels.renderedProfiles.get(`${ref.appId}\0c\0${ref.customerUserId}`, now, () =>
            profileStatus.findByCustomerUserId(ref.appId, ref.customerUserId!),
          )
        : null;
    return profile ?? profileNotFound();
  }
}
