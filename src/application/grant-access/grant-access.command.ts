import { Iso } from '../../domain/shared/time';
import { V1Grant } from '../../domain/profile/v1-grant';
import { ProfileRef } from '../shared/profile-ref';

/**
 * Grant an access level. What the grant says comes in the form the face received it: a window
 * (v2: starts_at / expires_at) or Adapty's legacy terms (v1: lifetime, days to add, an optional
 * store transaction); the decision is the domain's either way.
 */
export type GrantTerms = { kind: 'window'; starts_at: Iso | null; expires_at: Iso | null } | ({ kind: 'legacy' } & Omit<V1Grant, 'access_level_id'>);

export class GrantAccessCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly accessLevelId: string,
    readonly terms: GrantTerms,
    readonly source = 'api.v2.grant_access_level',
  ) {}
}
