/** How a request names a profile: Adapty's `adapty-profile-id` or `adapty-customer-user-id` header. */
export interface ProfileRef {
  appId: string;
  profileId?: string;
  customerUserId?: string;
}

/** Where an event came from, kept in its metadata (the app id, never the key). */
export interface Origin {
  appId: string;
  source: string;
}
