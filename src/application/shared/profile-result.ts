import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { ProfileState } from '../../domain/profile/profile.state';
import { ProfileV2, renderProfileV2, toReadModel } from '../../projections/profile-status/profile-read-model';
import { Executed } from './event-sourced-streams';
import { Ledger } from './ledger';

export type ProfileResult = ProfileV2 | DomainError;

/** The state a decision left, or the error to answer with (failed, deleted meanwhile, or another app's). */
export function decidedState(appId: string, executed: Executed<ProfileState> | DomainError): ProfileState | DomainError {
  if (executed instanceof DomainError) return executed;
  if (!executed.ok) return 'error' in executed ? executed.error : profileNotFound();
  const { state } = executed;
  return state.exists && state.app_id === appId ? state : profileNotFound();
}

/**
 * After a successful decision: the profile as a GET now sees it, rendered from the state the
 * decision produced (the same function the read model uses), so a write does not wait for the
 * projection. A GET catches the read model up before answering, so it sees this write too.
 */
export async function profileResult(
  ledger: Ledger,
  appId: string,
  executed: Executed<ProfileState> | DomainError,
): Promise<ProfileResult> {
  const state = decidedState(appId, executed);
  return state instanceof DomainError ? state : renderProfileV2(toReadModel(state), ledger.clock.now().getTime());
}
