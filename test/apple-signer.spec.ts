import { X509Certificate } from 'crypto';
import { readFileSync } from 'fs';
import {
  Environment,
  NotificationTypeV2,
  SignedDataVerifier,
  Subtype,
  VerificationStatus,
} from '@apple/app-store-server-library';
import { AppleTestChain, createAppleTestChain, signedNotification } from './support/apple-signer';

/**
 * The test signer is only worth something if Apple's own verifier accepts what it signs, and refuses
 * what a forger would send for the same reasons it refuses them from anyone else.
 */

const BUNDLE = 'com.example.app';
const SIGNED = Date.UTC(2030, 5, 1);
const APPLE_ROOT = new X509Certificate(readFileSync('/work/shared/reference/certs/apple-root-ca-g3.pem')).raw;

const sandboxVerifier = (roots: Buffer[]) => new SignedDataVerifier(roots, false, Environment.SANDBOX, BUNDLE);
const subscribed = (chain: AppleTestChain, extra: object = {}) =>
  signedNotification(chain, {
    notificationType: 'SUBSCRIBED',
    subtype: 'INITIAL_BUY',
    signedDate: SIGNED,
    transaction: { transactionId: '2000000111', productId: 'premium.monthly', expiresDate: SIGNED + 30 * 86_400_000 },
    renewal: {},
    status: 1,
    ...extra,
  }).signedPayload;

describe('apple-signer', () => {
  let chain: AppleTestChain;
  beforeAll(async () => {
    chain = await createAppleTestChain();
  });

  it('signs a notification, its transaction and renewal info the way the Sandbox verifier accepts', async () => {
    const verifier = sandboxVerifier([chain.rootDer]);
    const notification = await verifier.verifyAndDecodeNotification(subscribed(chain));
    expect(notification).toMatchObject({
      notificationType: NotificationTypeV2.SUBSCRIBED,
      subtype: Subtype.INITIAL_BUY,
      version: '2.0',
      signedDate: SIGNED,
      data: { appAppleId: 1234567890, bundleId: BUNDLE, bundleVersion: '1', environment: 'Sandbox', status: 1 },
    });
    expect(notification.notificationUUID).toMatch(/^[0-9a-f-]{36}$/);

    const transaction = await verifier.verifyAndDecodeTransaction(notification.data!.signedTransactionInfo!);
    expect(transaction).toEqual({
      transactionId: '2000000111',
      originalTransactionId: '2000000111',
      bundleId: BUNDLE,
      environment: 'Sandbox',
      productId: 'premium.monthly',
      type: 'Auto-Renewable Subscription',
      inAppOwnershipType: 'PURCHASED',
      storefront: 'USA',
      storefrontId: '143441',
      currency: 'USD',
      price: 9990,
      transactionReason: 'PURCHASE',
      quantity: 1,
      signedDate: SIGNED,
      purchaseDate: SIGNED - 1000,
      originalPurchaseDate: SIGNED - 1000,
      expiresDate: SIGNED + 30 * 86_400_000,
    });
    const renewal = await verifier.verifyAndDecodeRenewalInfo(notification.data!.signedRenewalInfo!);
    expect(renewal).toEqual({
      environment: 'Sandbox',
      signedDate: SIGNED,
      autoRenewStatus: 1,
      originalTransactionId: '2000000111',
      productId: 'premium.monthly',
      autoRenewProductId: 'premium.monthly',
    });
  });

  it('passes the Production checks, appAppleId included', async () => {
    const verifier = new SignedDataVerifier([chain.rootDer], false, Environment.PRODUCTION, BUNDLE, 1234567890);
    const notification = await verifier.verifyAndDecodeNotification(subscribed(chain, { environment: 'Production' }));
    expect(notification.data).toMatchObject({ appAppleId: 1234567890, environment: 'Production' });
    const transaction = await verifier.verifyAndDecodeTransaction(notification.data!.signedTransactionInfo!);
    expect(transaction.environment).toBe('Production');
  });

  it('leaves data out for a summary, and signed data out when there is none', async () => {
    const verifier = sandboxVerifier([chain.rootDer]);
    const summary = signedNotification(chain, {
      notificationType: 'RENEWAL_EXTENSION',
      subtype: 'SUMMARY',
      signedDate: SIGNED,
      summary: { requestIdentifier: 'req-1', succeededCount: 3, failedCount: 0 },
    });
    const decoded = await verifier.verifyAndDecodeNotification(summary.signedPayload);
    expect(decoded.data).toBeUndefined();
    expect(decoded.summary).toMatchObject({ bundleId: BUNDLE, environment: 'Sandbox', succeededCount: 3 });

    const test = signedNotification(chain, { notificationType: 'TEST', signedDate: SIGNED, appAppleId: undefined });
    const { data } = await verifier.verifyAndDecodeNotification(test.signedPayload);
    expect(data).toEqual({ bundleId: BUNDLE, bundleVersion: '1', environment: 'Sandbox' });
  });

  const ours = (jws: string) => sandboxVerifier([chain.rootDer]).verifyAndDecodeNotification(jws);
  const resigned = (options: Parameters<AppleTestChain['signWith']>[1]) =>
    ours(chain.signWith(payloadOf(subscribed(chain)), options));
  const unmarked = async (options: Parameters<typeof createAppleTestChain>[0]) => {
    const other = await createAppleTestChain(options);
    return sandboxVerifier([other.rootDer]).verifyAndDecodeNotification(subscribed(other));
  };
  const { VERIFICATION_FAILURE, INVALID_CERTIFICATE, INVALID_CHAIN_LENGTH } = VerificationStatus;
  const { INVALID_APP_IDENTIFIER, INVALID_ENVIRONMENT } = VerificationStatus;

  it.each<[string, () => Promise<unknown>, object]>([
    [
      'a verifier trusting only Apple’s real root',
      () => sandboxVerifier([APPLE_ROOT]).verifyAndDecodeNotification(subscribed(chain)),
      { status: VERIFICATION_FAILURE },
    ],
    ['a payload changed after signing', () => resigned({ tamper: true }), { status: VERIFICATION_FAILURE }],
    ['a signature by another key than the leaf’s', () => resigned({ key: 'intermediate' }), { status: VERIFICATION_FAILURE }],
    // The library raises INVALID_CHAIN_LENGTH inside a try whose catch wraps every Error (its own
    // VerificationException included) as INVALID_CERTIFICATE: callers only ever see the outer status.
    [
      'an x5c of two certificates',
      () => resigned({ x5c: chain.x5c.slice(0, 2) }),
      { status: INVALID_CERTIFICATE, cause: { status: INVALID_CHAIN_LENGTH } },
    ],
    ['a leaf without Apple’s marker extension', () => unmarked({ leafWithoutAppleOid: true }), { status: VERIFICATION_FAILURE }],
    [
      'an intermediate without Apple’s marker extension',
      () => unmarked({ intermediateWithoutAppleOid: true }),
      { status: VERIFICATION_FAILURE },
    ],
    ['another app’s bundle id', () => ours(subscribed(chain, { bundleId: 'com.other.app' })), { status: INVALID_APP_IDENTIFIER }],
    ['another environment', () => ours(subscribed(chain, { environment: 'Production' })), { status: INVALID_ENVIRONMENT }],
    [
      'a signedDate after the chain expired',
      () => ours(subscribed(chain, { signedDate: Date.UTC(2050, 0, 1) })),
      { status: INVALID_CERTIFICATE },
    ],
  ])('refuses %s', async (_case, verify, refusal) => {
    await expect(verify()).rejects.toMatchObject(refusal);
  });
});

/** The decoded payload of a JWS, to sign it again differently. */
function payloadOf(jws: string): object {
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString());
}
