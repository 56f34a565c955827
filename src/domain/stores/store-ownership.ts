import { DomainError } from '../shared/domain-error';
import { Iso } from '../shared/time';

/**
 * Who owns a store purchase (an App Store chain, a Google Play purchase token). The purchase's own
 * stream is the lock on ownership, as a customer_user_id's reservation stream is: claims are
 * appended with the expected revision, so two profiles never own one purchase at once.
 */
export type ClaimVia = 'app_account_token' | 'account_id' | 'metadata' | 'transaction' | 'linked_purchase' | 'link' | 'transfer';

export interface Ownership {
  owner: string | null;
  /** Profiles that owned the purchase before: each must no longer hold it. */
  former_owners: string[];
  /** The newest claim moved it from another profile because someone asked (a link with transfer): its history arrives quietly. */
  transferred: boolean;
}

export interface ClaimData {
  profile_id: string;
  previous_profile_id: string | null;
  via: ClaimVia;
  claimed_at: Iso;
}

export interface Claim {
  profileId: string;
  via: ClaimVia;
}

export const unowned = (): Ownership => ({ owner: null, former_owners: [], transferred: false });

export function applyClaim(o: Ownership, claim: ClaimData): Ownership {
  const previous = claim.previous_profile_id;
  const former = previous && !o.former_owners.includes(previous) ? [...o.former_owners, previous] : o.former_owners;
  return {
    owner: claim.profile_id,
    former_owners: former.filter((id) => id !== claim.profile_id),
    transferred: previous !== null && claim.via === 'transfer',
  };
}

export const claimData = (o: Ownership, claim: Claim, now: Date): ClaimData => ({
  profile_id: claim.profileId,
  previous_profile_id: o.owner,
  via: claim.via,
  claimed_at: now.toISOString(),
});

export const purchaseOwnedElsewhere = (field: string, id: string, owner: string): DomainError =>
  new DomainError('store_transaction_owned', field, `${id} belongs to profile ${owner}; send "transfer": true to move it.`);

/** A profile asks for the purchase (a link): another owner keeps it unless the claim is a transfer. Null: it owns it already. */
export function askClaim(o: Ownership, claim: Claim, transfer: boolean, field: string, id: string, now: Date): ClaimData | null | DomainError {
  if (o.owner === claim.profileId) return null;
  if (o.owner !== null && !transfer) return purchaseOwnedElsewhere(field, id, o.owner);
  return claimData(o, claim, now);
}
