import { ProfileState } from '../../domain/profile/profile.state';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { ProfileReadModel, toReadModel } from '../../projections/profiles/profile-view';
import { Executed } from './event-sourced-repository';

/** A profile as a face renders it: the stored view and the instant to judge access at. */
export interface ProfileSnapshot {
  model: ProfileReadModel;
  at: number;
}

export type ProfileResult = ProfileSnapshot | DomainError;

/** The state a decision left, or the error to answer with (failed, deleted meanwhile, or another app's). */
export function decidedState(appId: string, executed: Executed<ProfileState> | DomainError): ProfileState | DomainError {
  if (executed instanceof DomainError) return executed;
  if (!executed.ok) return 'error' in executed ? executed.error : profileNotFound();
  const { state } = executed;
  return state.exists && state.app_id === appId ? state : profileNotFound();
}

/**
 * After a decision: the profile as a GET now sees it, from the state the decision produced (the
 * same view the read model stores), so a write does not wait for the projection.
 */
export function profileResult(appId: string, executed: Executed<ProfileState> | DomainError, at: number): ProfileResult {
  const state = decidedState(appId, executed);
  return state instanceof DomainError ? state : { model: toReadModel(state), at };
}
