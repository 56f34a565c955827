import { Iso } from '../../domain/shared/time';
import { ProfileRef } from '../shared/profile-ref';

export class RevokeAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly accessLevelId: string,
    readonly revokeAt: Iso | null,
    readonly source = 'api.v2.revoke_access_level',
  ) {}
}
