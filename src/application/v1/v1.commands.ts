import { V1Grant } from '../../domain/profile/v1-grant';
import { ProfileRef } from '../shared/profile-ref';

/**
 * How a v1 path names a profile: `{profile_id_or_customer_user_id}`, or a customer user id
 * only (it came base64url-encoded).
 */
export interface V1ProfileId {
  value: string;
  customerUserIdOnly: boolean;
}

/** Which profile a v1 path id names, as the ProfileRef the shared commands take. */
export class ResolveV1ProfileQuery {
  constructor(
    readonly appId: string,
    readonly id: V1ProfileId,
  ) {}
}

export class GetV1ProfileQuery {
  constructor(
    readonly appId: string,
    readonly id: V1ProfileId,
    readonly extended: boolean,
  ) {}
}

export class V1GrantAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly grant: V1Grant,
    readonly source = 'api.v1.grant_paid_access_level',
  ) {}
}

export class V1RevokeAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly accessLevelId: string,
    readonly isRefund: boolean,
    readonly source = 'api.v1.revoke_paid_access_level',
  ) {}
}
