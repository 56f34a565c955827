import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Clock, CLOCK } from '../../domain/shared/clock';
import { DomainError } from '../../domain/shared/domain-error';
import { ProfileResult } from '../shared/profile-result';
import { GetProfileQuery } from './get-profile.query';
import { ProfileReader } from './profile-reader';

/** Served from the read model, once it holds every write acked before the request (any process's). */
@QueryHandler(GetProfileQuery)
export class GetProfileHandler implements IQueryHandler<GetProfileQuery, ProfileResult> {
  constructor(
    private readonly reader: ProfileReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ ref }: GetProfileQuery): Promise<ProfileResult> {
    const model = await this.reader.find(ref);
    return model instanceof DomainError ? model : { model, at: this.clock.now().getTime() };
  }
}
