// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';

/**
 * Google's OIDC signing side for Pub/Sub push subscriptions, on loopback: the PEM certificates
 * endpoint (`https://www.googleapis.com/oauth2/v1/certs`) that `OAuth2Client.verifyIdToken` fetches,
 * and the ID tokens Pub/Sub puts in a push's `Authorization: Bearer` header, signed by the key
 * behind that certificate. Tests can then push Real Time Developer Notifications the way Google does.
 */

x509.cryptoProvider.set(webcrypto);

export interface PushTokenClaims {
  aud: string;
  /** The push subscription's service account. */
  email: string;
  email_verified?: boolean;
  iss?: string;
  /** Lifetime left; negative for a token that has already expired. Default 3600. */
  expiresInSeconds?: number;
  /** The header's kid; default the served certificate's. */
  kid?: string;
  /** Signs with a key whose certificate is not served, under the served kid. */
  signWithOtherKey?: boolean;
}

export interface GoogleCerts {
  /** For OAuth2Client's `endpoints.oauth2FederatedSignonPemCertsUrl`. */
  certsUrl: string;
  /** GETs of the certificates so far (verifiers cache them for the max-age served). */
  readonly certRequests: number;
  signPushToken(claims: PushTokenClaims): string;
  close(): Promise<void>;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY_MS = 24 * 3600 * 1000;

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export async function startGoogleCerts(): Promise<GoogleCerts> {
  const generate = () => webcrypto.subtle.generateKey(RSA, false, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
  const [served, other] = await Promise.all([generate(), generate()]);
  // Google rotates its keys about every two weeks; nothing here checks the dates, but they look the part.
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=federated-signon.system.gserviceaccount.com',
    keys: served,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 14 * DAY_MS),
    signingAlgorithm: RSA,
  });
  // Google's kids are 40 hex digits.
  const servedKid = randomBytes(20).toString('hex');
  const certs = JSON.stringify({ [servedKid]: certificate.toString('pem') });
  // Node's sign() is synchronous, which keeps signPushToken usable inside payload builders.
  const keys = { served: KeyObject.from(served.privateKey), other: KeyObject.from(other.privateKey) };

  let certRequests = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/oauth2/v1/certs') return void res.writeHead(404).end();
    certRequests += 1;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'public, max-age=3600' });
    res.end(certs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    certsUrl: `${url}/oauth2/v1/certs`,
    get certRequests() {
      return certRequests;
    },
    signPushToken: (claims) => {
      const { aud, email, email_verified = true, iss = 'https://accounts.google.com', expiresInSeconds = 3600, kid = servedKid } = claims;
      const now = Math.floor(Date.now() / 1000);
      const exp = now + expiresInSeconds;
      // Google's ID tokens live an hour: a shorter remaining lifetime means one issued earlier.
      const iat = Math.min(now, exp - 3600);
      const header = b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }));
      const payload = b64url(JSON.stringify({ aud, azp: '1234567890', email, email_verified, exp, iat, iss, sub: '1234567890' }));
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), claims.signWithOtherKey ? keys.other : keys.served);
      return `${header}.${payload}.${b64url(signature)}`;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
