import { Iso } from '../../domain/shared/time';
import { ProfileRef } from '../shared/profile-ref';

/**
 * Revoke an access level, now or at `revokeAt` (v2), or in Adapty's legacy terms (v1): now, also
 * ending the linked transaction, refunded when `isRefund`.
 */
export type RevokeTerms = { kind: 'at'; revoke_at: Iso | null } | { kind: 'legacy'; is_refund: boolean };

export class RevokeAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly accessLevelId: string,
    readonly terms: RevokeTerms,
    readonly source = 'api.v2.revoke_access_level',
  ) {}
}
