// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { KeyObject, randomUUID, sign as signBytes, webcrypto } from 'crypto';
import * as x509 from '@peculiar/x509';

/**
 * Signs App Store Server Notifications V2 the way Apple does, with a self-made chain that
 * `SignedDataVerifier` (@apple/app-store-server-library) accepts once the chain's root is among its
 * trusted roots: tests can then drive the notification endpoint end to end without Apple's keys.
 */

x509.cryptoProvider.set(webcrypto);

export interface AppleTestChain {
  rootPem: string;
  rootDer: Buffer;
  /** Signs any JSON payload as a JWS with this chain's leaf key and x5c [leaf, intermediate, root]. */
  sign(payload: object): string;
  /** For negative tests: another x5c, the intermediate's key instead of the leaf's, or a payload changed after signing. */
  signWith(payload: object, options: { x5c?: string[]; key?: 'leaf' | 'intermediate'; tamper?: boolean }): string;
  /** The three base64 DER certificates: leaf, intermediate, root. */
  x5c: string[];
}

/** Apple's JWSTransactionDecodedPayload fields (all optional in input; sensible defaults filled in). */
export interface AppleTransactionFields {
  transactionId?: string;
  originalTransactionId?: string;
  bundleId?: string;
  productId?: string;
  purchaseDate?: number;
  originalPurchaseDate?: number;
  expiresDate?: number;
  type?: string;
  inAppOwnershipType?: string;
  signedDate?: number;
  environment?: string;
  storefront?: string;
  storefrontId?: string;
  price?: number;
  currency?: string;
  offerType?: number;
  offerIdentifier?: string;
  offerDiscountType?: string;
  revocationDate?: number;
  revocationReason?: number;
  isUpgraded?: boolean;
  appAccountToken?: string;
  transactionReason?: string;
  webOrderLineItemId?: string;
  subscriptionGroupIdentifier?: string;
  quantity?: number;
  [k: string]: unknown;
}

export interface AppleRenewalFields {
  originalTransactionId?: string;
  autoRenewProductId?: string;
  productId?: string;
  autoRenewStatus?: number;
  isInBillingRetryPeriod?: boolean;
  gracePeriodExpiresDate?: number;
  expirationIntent?: number;
  signedDate?: number;
  environment?: string;
  recentSubscriptionStartDate?: number;
  renewalDate?: number;
  priceIncreaseStatus?: number;
  offerType?: number;
  [k: string]: unknown;
}

export interface NotificationSpec {
  notificationType: string;
  subtype?: string;
  notificationUUID?: string;
  signedDate: number;
  /** Defaults: 'com.example.app', 1234567890 (an explicit undefined leaves appAppleId out, as in Sandbox), 'Sandbox'. */
  bundleId?: string;
  appAppleId?: number;
  environment?: string;
  /** null/absent: no signedTransactionInfo (e.g. TEST). */
  transaction?: AppleTransactionFields | null;
  renewal?: AppleRenewalFields | null;
  /** data.status: 1 active, 2 expired, 3 billing retry, 4 grace period, 5 revoked. */
  status?: number;
  /** For RENEWAL_EXTENSION SUMMARY: sent as `summary` instead of `data`. */
  summary?: object;
}

// Far enough on both sides that any signedDate a test picks (2020..2040) falls inside: the
// verifier checks validity at the payload's signedDate when online checks are off.
const NOT_BEFORE = new Date('2015-01-01T00:00:00Z');
const NOT_AFTER = new Date('2045-01-01T00:00:00Z');
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
// The verifier only asks that these extensions be present (Apple's marker OIDs); DER NULL is what Apple puts there.
const APPLE_LEAF_OID = '1.2.840.113635.100.6.11.1';
const APPLE_INTERMEDIATE_OID = '1.2.840.113635.100.6.2.1';
const DER_NULL = new Uint8Array([0x05, 0x00]);

const ROOT_NAME = 'CN=Ledger Test Root CA - G3, OU=Test Certification Authority, O=Ledger Tests, C=US';
const INTERMEDIATE_NAME = 'CN=Ledger Test Worldwide Developer Relations CA - G6, O=Ledger Tests, C=US';
const LEAF_NAME = 'CN=Ledger Test Mac App Store and iTunes Store Receipt Signing, O=Ledger Tests, C=US';

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export async function createAppleTestChain(
  options: { leafWithoutAppleOid?: boolean; intermediateWithoutAppleOid?: boolean; ocspUrl?: string } = {},
): Promise<AppleTestChain> {
  const generate = () => webcrypto.subtle.generateKey(EC, false, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const [rootKeys, intermediateKeys, leafKeys] = await Promise.all([generate(), generate(), generate()]);
  const appleMarker = (oid: string, without?: boolean) => (without ? [] : [new x509.Extension(oid, false, DER_NULL)]);
  const validity = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: EC };
  // Where the verifier's online checks ask about the leaf and the intermediate (Apple's certificates name Apple's OCSP responder).
  const ocsp = options.ocspUrl ? [new x509.AuthorityInfoAccessExtension({ ocsp: [new x509.GeneralName('url', options.ocspUrl)] })] : [];

  // Each certificate needs only its issuer's name and key, so all three are made at once.
  const [root, intermediate, leaf] = await Promise.all([
    x509.X509CertificateGenerator.createSelfSigned({
      ...validity,
      name: ROOT_NAME,
      keys: rootKeys,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    }),
    x509.X509CertificateGenerator.create({
      ...validity,
      subject: INTERMEDIATE_NAME,
      issuer: ROOT_NAME,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        ...appleMarker(APPLE_INTERMEDIATE_OID, options.intermediateWithoutAppleOid),
        ...ocsp,
      ],
    }),
    x509.X509CertificateGenerator.create({
      ...validity,
      subject: LEAF_NAME,
      issuer: INTERMEDIATE_NAME,
      publicKey: leafKeys.publicKey,
      signingKey: intermediateKeys.privateKey,
      extensions: [...appleMarker(APPLE_LEAF_OID, options.leafWithoutAppleOid), ...ocsp],
    }),
  ]);

  const x5c = [leaf, intermediate, root].map((cert) => Buffer.from(cert.rawData).toString('base64'));
  // Node's sign() is synchronous, which keeps sign()/signWith() usable inside payload builders.
  const keys = {
    leaf: KeyObject.from(leafKeys.privateKey),
    intermediate: KeyObject.from(intermediateKeys.privateKey),
  };

  const signWith: AppleTestChain['signWith'] = (payload, { x5c: chain = x5c, key = 'leaf', tamper = false }) => {
    const header = b64url(JSON.stringify({ alg: 'ES256', x5c: chain }));
    const body = b64url(JSON.stringify(payload));
    // JOSE wants the raw r||s pair, not the DER signature node produces by default.
    const signature = signBytes('sha256', Buffer.from(`${header}.${body}`), { key: keys[key], dsaEncoding: 'ieee-p1363' });
    // A payload that still decodes and validates, so only the signature check can refuse it.
    const sent = tamper ? b64url(JSON.stringify({ ...payload, tampered: true })) : body;
    return `${header}.${sent}.${b64url(signature)}`;
  };

  return {
    rootPem: root.toString('pem'),
    rootDer: Buffer.from(root.rawData),
    sign: (payload) => signWith(payload, {}),
    signWith,
    x5c,
  };
}

/** The body Apple POSTs: {"signedPayload": "..."} with data.signedTransactionInfo / data.signedRenewalInfo signed by the same chain. */
export function signedNotification(chain: AppleTestChain, spec: NotificationSpec): { signedPayload: string } {
  const { signedDate, bundleId = 'com.example.app', environment = 'Sandbox' } = spec;
  const appAppleId = 'appAppleId' in spec ? spec.appAppleId : 1234567890;

  const transaction = spec.transaction ? transactionPayload(spec.transaction, { bundleId, environment, signedDate }) : undefined;
  const renewal = spec.renewal
    ? {
        environment,
        signedDate,
        autoRenewStatus: 1,
        originalTransactionId: transaction?.originalTransactionId,
        productId: transaction?.productId,
        autoRenewProductId: transaction?.productId,
        ...spec.renewal,
      }
    : undefined;

  const body = spec.summary
    ? { summary: { bundleId, environment, appAppleId, ...spec.summary } }
    : {
        data: {
          appAppleId,
          bundleId,
          bundleVersion: '1',
          environment,
          signedTransactionInfo: transaction && chain.sign(transaction),
          signedRenewalInfo: renewal && chain.sign(renewal),
          status: spec.status,
        },
      };
  // JSON.stringify drops the undefined keys, as Apple leaves absent fields out.
  const payload = {
    notificationType: spec.notificationType,
    subtype: spec.subtype,
    notificationUUID: spec.notificationUUID ?? randomUUID(),
    version: '2.0',
    signedDate,
    ...body,
  };
  return { signedPayload: chain.sign(payload) };
}

function transactionPayload(
  fields: AppleTransactionFields,
  defaults: { bundleId: string; environment: string; signedDate: number },
): AppleTransactionFields {
  const signedDate = fields.signedDate ?? defaults.signedDate;
  // Apple's transaction ids are decimal strings; a random one keeps separate tests' purchases apart.
  const transactionId = fields.transactionId ?? String(2_000_000_000_000_000 + Math.floor(Math.random() * 1e12));
  const purchaseDate = fields.purchaseDate ?? signedDate - 1000;
  return {
    transactionId,
    originalTransactionId: transactionId,
    bundleId: defaults.bundleId,
    environment: defaults.environment,
    type: 'Auto-Renewable Subscription',
    inAppOwnershipType: 'PURCHASED',
    storefront: 'USA',
    storefrontId: '143441',
    currency: 'USD',
    price: 9990,
    transactionReason: 'PURCHASE',
    quantity: 1,
    originalPurchaseDate: purchaseDate,
    ...fields,
    signedDate,
    purchaseDate,
  };
}
