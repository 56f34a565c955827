import { ProfileRef } from '../shared/profile-ref';

export class GetProfileQuery {
  constructor(readonly ref: ProfileRef) {}
}
