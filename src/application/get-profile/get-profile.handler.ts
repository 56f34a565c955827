import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { profileNotFound } from '../../domain/shared/domain-error';
import { renderProfileV2 } from '../../projections/profile-status/profile-read-model';
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
    const model = ref.profileId
      ? readModels.profileStatus.findById(ref.appId, ref.profileId)
      : ref.customerUserId !== undefined
        ? readModels.profileStatus.findByCustomerUserId(ref.appId, ref.customerUserId)
        : null;
    return model ? renderProfileV2(model, this.ledger.clock.now().getTime()) : profileNotFound();
  }
}
