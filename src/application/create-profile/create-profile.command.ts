import { Attributes, CustomAttributeChanges } from '../../domain/profile/profile.events';
import { ProfileRef } from '../shared/profile-ref';

export class CreateProfileCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly attributes: Attributes,
    readonly customAttributes: CustomAttributeChanges,
    readonly source = 'api.v2.create_profile',
  ) {}
}
