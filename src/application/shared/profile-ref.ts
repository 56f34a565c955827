/** How a request names a profile: Adapty's `adapty-profile-id` or `adapty-customer-user-id` header. */
export interface ProfileRef {
  appId: string;
  profileId?: string;
  customerUserId?: string;
}

/**
 * Where an event came from, kept in its metadata (the app id, never the key). `commandId` names
 * the command (event ids derive from it); a new one is drawn when the caller has none.
 */
export interface Origin {
  appId: string;
  source: string;
  commandId?: string;
}
