import { Iso } from '../../domain/shared/time';
import { ProfileRef } from '../shared/profile-ref';

export class GrantAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly accessLevelId: string,
    readonly startsAt: Iso | null,
    readonly expiresAt: Iso | null,
    readonly source = 'api.v2.grant_access_level',
  ) {}
}
