import { ProfileRef } from '../shared/profile-ref';

export class DeleteProfileCommand {
  constructor(
    readonly ref: ProfileRef,
    readonly source = 'api.v2.delete_profile',
  ) {}
}
