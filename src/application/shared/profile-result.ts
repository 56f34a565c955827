import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { ProfileState } from '../../domain/profile/profile.state';
import { ProfileV2 } from '../../projections/profile-status/profile-read-model';
import { Executed } from './event-sourced-streams';
import { Ledger } from './ledger';

export type ProfileResult = ProfileV2 | DomainError;

/** After a successful decision: the profile as a GET from this client would now see it. */
export async function profileResult(
  ledger: Ledger,
  appId: string,
  executed: Executed<ProfileState> | DomainError,
): Promise<ProfileResult> {
  if (executed instanceof DomainError) return executed;
  if (!executed.ok) return 'error' in executed ? executed.error : profileNotFound();
  const view = await ledger.profileAfter(appId, executed.state.profile_id, executed.position);
  return view ?? profileNotFound();
}
