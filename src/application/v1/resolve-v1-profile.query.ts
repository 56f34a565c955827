/**
 * How a v1 path names a profile: `{profile_id_or_customer_user_id}`, or a customer user id
 * only (it came base64url-encoded).
 */
export interface V1ProfileId {
  value: string;
  customerUserIdOnly: boolean;
}

/** Which profile a v1 path id names, as the ProfileRef the shared commands and queries take. */
export class ResolveV1ProfileQuery {
  constructor(
    readonly appId: string,
    readonly id: V1ProfileId,
  ) {}
}
