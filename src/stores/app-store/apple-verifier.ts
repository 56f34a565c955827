import { X509Certificate } from 'node:crypto';
import { Environment, SignedDataVerifier, VerificationException, VerificationStatus } from '@apple/app-store-server-library';
import { AppStoreVerifier, RefusalReason, Verification } from '../../application/app-store/app-store-ports';
import { AppleEnvironment, AppleNotification, AppleRenewalInfo, AppleTransactionInfo } from '../../domain/app-store/apple-notification';
import { APPLE_ENVIRONMENTS, AppStoreSetup } from '../../domain/app-store/app-store-setup';
import { APPLE_ROOT_CA_G3 } from './apple-root-ca-g3';

const REASONS: ReadonlyMap<VerificationStatus, RefusalReason> = new Map([
  [VerificationStatus.VERIFICATION_FAILURE, 'signature'],
  [VerificationStatus.INVALID_CHAIN_LENGTH, 'signature'],
  [VerificationStatus.INVALID_CERTIFICATE, 'signature'],
  [VerificationStatus.INVALID_APP_IDENTIFIER, 'bundle'],
  [VerificationStatus.INVALID_ENVIRONMENT, 'environment'],
  [VerificationStatus.FAILURE, 'malformed'],
]);

const refused = (reason: RefusalReason, detail: string, retryable = false): Verification => ({ ok: false, reason, retryable, detail });

/** The claims of a JWS before any check: only to pick the verifier that will check them. */
function unverifiedClaims(jws: string): Record<string, unknown> | null {
  const parts = jws.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The environment a notification says it is from (Apple's library checks it once the signature holds). */
function claimedEnvironment(claims: Record<string, unknown>): string | null {
  const section = (claims.data ?? claims.summary ?? claims.appData) as { environment?: unknown } | undefined;
  if (section && typeof section.environment === 'string') return section.environment;
  const token = claims.externalPurchaseToken as { externalPurchaseId?: unknown } | undefined;
  if (token) return typeof token.externalPurchaseId === 'string' && token.externalPurchaseId.startsWith('SANDBOX') ? 'Sandbox' : 'Production';
  return null;
}

function failure(error: unknown): Verification {
  if (error instanceof VerificationException) {
    if (error.status === VerificationStatus.RETRYABLE_VERIFICATION_FAILURE) return refused('signature', 'the revocation check could not reach Apple', true);
    return refused(REASONS.get(error.status) ?? 'signature', VerificationStatus[error.status] ?? String(error.status));
  }
  return refused('malformed', error instanceof Error ? error.message : String(error));
}

/**
 * Apple's own verifier (`SignedDataVerifier`) for each app's setup: the notification, then the
 * transaction and renewal info inside it, each against the trusted roots, the bundle id, the app's
 * Apple id (Production) and the environment. Xcode and LocalTesting, which the library does not sign
 * check, are never accepted.
 */
export class AppleNotificationVerifier implements AppStoreVerifier {
  private readonly roots: Buffer[];
  private readonly onlineChecks: boolean;
  /** One verifier per (environment, bundle id, app Apple id): a changed setup gets its own, so nothing needs invalidating. */
  private readonly verifiers = new Map<string, SignedDataVerifier>();

  constructor(options: { extraRoots: string[]; onlineChecks: boolean }) {
    this.roots = [APPLE_ROOT_CA_G3, ...options.extraRoots].map((pem) => new X509Certificate(pem).raw);
    this.onlineChecks = options.onlineChecks;
  }

  private verifierFor(environment: AppleEnvironment, setup: AppStoreSetup): SignedDataVerifier {
    const appleId = setup.app_apple_id ?? undefined;
    const key = `${environment}\n${setup.bundle_id}\n${appleId ?? ''}`;
    let verifier = this.verifiers.get(key);
    if (!verifier) {
      const env = environment === 'Production' ? Environment.PRODUCTION : Environment.SANDBOX;
      verifier = new SignedDataVerifier(this.roots, this.onlineChecks, env, setup.bundle_id, appleId);
      this.verifiers.set(key, verifier);
    }
    return verifier;
  }

  async verify(setup: AppStoreSetup, signedPayload: string): Promise<Verification> {
    const claims = unverifiedClaims(signedPayload);
    if (claims === null) return refused('malformed', 'signedPayload is not a JWS');
    const claimed = claimedEnvironment(claims);
    if (claimed === null) return refused('malformed', 'the payload names no environment (data, summary or externalPurchaseToken)');
    if (!(APPLE_ENVIRONMENTS as readonly string[]).includes(claimed)) return refused('environment', `${claimed} (only Production and Sandbox are ever accepted)`);
    const environment = claimed as AppleEnvironment;
    if (environment === 'Production' && setup.app_apple_id === null) return refused('environment', 'Production needs the app_apple_id in the setup');
    const verifier = this.verifierFor(environment, setup);
    try {
      const payload = await verifier.verifyAndDecodeNotification(signedPayload);
      if (!setup.environments.includes(environment)) return refused('environment', `${environment} is not among this app's environments`);
      const data = payload.data;
      const transaction = data?.signedTransactionInfo ? ((await verifier.verifyAndDecodeTransaction(data.signedTransactionInfo)) as unknown as AppleTransactionInfo) : null;
      const renewal = data?.signedRenewalInfo ? ((await verifier.verifyAndDecodeRenewalInfo(data.signedRenewalInfo)) as unknown as AppleRenewalInfo) : null;
      if (typeof payload.notificationUUID !== 'string' || typeof payload.notificationType !== 'string' || typeof payload.signedDate !== 'number') {
        return refused('malformed', 'notificationUUID, notificationType and signedDate are required');
      }
      if (transaction && (typeof transaction.transactionId !== 'string' || typeof transaction.originalTransactionId !== 'string' || typeof transaction.productId !== 'string')) {
        return refused('malformed', 'the transaction info names no transaction, original transaction or product');
      }
      const notification: AppleNotification = {
        notification_uuid: payload.notificationUUID,
        notification_type: String(payload.notificationType),
        subtype: payload.subtype === undefined ? null : String(payload.subtype),
        signed_date: payload.signedDate,
        environment,
        transaction,
        renewal,
      };
      return { ok: true, value: { notification, summary: (payload.summary as unknown as Record<string, unknown>) ?? null } };
    } catch (error) {
      return failure(error);
    }
  }
}
