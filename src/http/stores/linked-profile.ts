import { ProfileRef } from '../../application/shared/profile-ref';
import { validationError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';

/** The profile a link names: by the ledger's id when given, else by customer_user_id (one of them is required). */
export function linkedProfileOf(appId: string, body: { profile_id?: string; customer_user_id?: string }): ProfileRef {
  if (body.profile_id === undefined && body.customer_user_id === undefined) {
    unwrap(validationError('non_field_errors', 'Name the profile with customer_user_id or profile_id.'));
  }
  return { appId, profileId: body.profile_id?.toLowerCase(), customerUserId: body.profile_id === undefined ? body.customer_user_id : undefined };
}
