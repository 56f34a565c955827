import { ProfileResult } from '../../application/shared/profile-result';
import { unwrap } from '../errors/domain-error.exception';
import { presentProfileV2 } from './profile-v2.presenter';

/** `{"data": Profile}` for a profile result, or the error it carries (thrown to the envelope filter). */
export function profileV2Response(result: ProfileResult) {
  const { model, at } = unwrap(result);
  return { data: presentProfileV2(model, at) };
}
