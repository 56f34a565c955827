import { Attributes, CustomAttributeChanges } from '../../domain/profile/profile.events';
import { ProfileRef } from '../shared/profile-ref';

export class UpdateProfileCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly attributes: Attributes,
    readonly customAttributes: CustomAttributeChanges,
    readonly source = 'api.v2.update_profile',
  ) {}
}
