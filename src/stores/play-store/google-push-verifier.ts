import { OAuth2Client } from 'google-auth-library';
import { PushIdentity, PushVerifier } from '../../application/play-store/play-store-ports';

/**
 * Pub/Sub's push OIDC tokens, checked by Google's library against Google's certificates (fetched from
 * `certsUrl` and cached as long as Google's Cache-Control says): signature, expiry, issuer
 * (accounts.google.com) and audience. The caller checks the email.
 */
export class GooglePushVerifier implements PushVerifier {
  private readonly client: OAuth2Client;

  constructor(certsUrl: string) {
    this.client = new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: certsUrl }, transporterOptions: { fetchImplementation: fetch } } as never);
  }

  async verify(idToken: string, audience: string): Promise<PushIdentity> {
    try {
      await this.client.getFederatedSignonCertsAsync();
    } catch (error) {
      return { ok: false, retryable: true, detail: error instanceof Error ? error.message : String(error) };
    }
    try {
      const ticket = await this.client.verifyIdToken({ idToken, audience });
      const payload = ticket.getPayload();
      return { ok: true, email: payload?.email ?? null, email_verified: payload?.email_verified === true };
    } catch (error) {
      return { ok: false, retryable: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }
}
