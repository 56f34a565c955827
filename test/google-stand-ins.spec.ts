import { sign } from 'node:crypto';
import { androidpublisher, androidpublisher_v3 } from '@googleapis/androidpublisher';
import { OAuth2Client } from 'google-auth-library';
import { GoogleCerts, startGoogleCerts } from './support/google-oidc';
import { PlayStandIn, ServiceAccountKey, startPlayStandIn } from './support/play-stand-in';

/**
 * The Google stand-ins the Play e2e tests rely on, checked against Google's own clients: if these
 * accept the stand-ins' answers, the ledger's use of the same clients meets what Google sends.
 */

const SCOPE = 'https://www.googleapis.com/auth/androidpublisher';
// Left to itself gaxios (under both Google clients) loads node-fetch with a dynamic import(), which
// jest's CommonJS sandbox refuses without --experimental-vm-modules; Node's own fetch needs no import.
const fetchImplementation = fetch;
const b64url = (data: object): string => Buffer.from(JSON.stringify(data)).toString('base64url');

interface TokenAnswer {
  status: number;
  body: { access_token?: string; expires_in?: number; token_type?: string; error?: string; error_description?: string };
}

/** Posts a service account's JWT grant to its token_uri; `claims` overrides the standard ones. */
async function postGrant(account: ServiceAccountKey, claims: object = {}, privateKey = account.private_key): Promise<TokenAnswer> {
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${b64url({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })}.${b64url({
    iss: account.client_email,
    scope: SCOPE,
    aud: account.token_uri,
    iat,
    exp: iat + 3600,
    ...claims,
  })}`;
  const assertion = `${unsigned}.${sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
  const answer = await fetch(account.token_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
  });
  return { status: answer.status, body: (await answer.json()) as TokenAnswer['body'] };
}

describe('Google OIDC certificates stand-in (Pub/Sub push)', () => {
  let certs: GoogleCerts;
  let client: OAuth2Client;
  const audience = 'https://ledger.example.test/google/rtdn';
  const email = 'pubsub-push@ledger-tests.iam.gserviceaccount.com';

  beforeAll(async () => {
    certs = await startGoogleCerts();
    client = new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: certs.certsUrl },
      transporterOptions: { fetchImplementation },
    });
  });
  afterAll(() => certs.close());

  it('serves the certificate that verifies its push tokens, cached for the max-age it gives', async () => {
    for (let i = 0; i < 2; i += 1) {
      const ticket = await client.verifyIdToken({ idToken: certs.signPushToken({ aud: audience, email }), audience });
      expect(ticket.getPayload()).toMatchObject({ aud: audience, email, email_verified: true, iss: 'https://accounts.google.com' });
    }
    expect(certs.certRequests).toBe(1);
  });

  it('makes tokens the verifier refuses: another key, another audience, expired', async () => {
    const verify = (idToken: string) => client.verifyIdToken({ idToken, audience });
    await expect(verify(certs.signPushToken({ aud: audience, email, signWithOtherKey: true }))).rejects.toThrow(/Invalid token signature/);
    await expect(verify(certs.signPushToken({ aud: 'https://elsewhere.example.test/', email }))).rejects.toThrow(/Wrong recipient/);
    await expect(verify(certs.signPushToken({ aud: audience, email, expiresInSeconds: -600 }))).rejects.toThrow(/Token used too late/);
  });
});

describe('Google Play Developer API stand-in', () => {
  let play: PlayStandIn;
  let api: androidpublisher_v3.Androidpublisher;
  let auth: { headers: { Authorization: string } };
  const packageName = 'com.example.ledger';
  // Play tokens carry '.', '-' and '_', which the client leaves unescaped in the path.
  const token = 'abcdefghij.AO-J1Oz_ledger-test_token';

  beforeAll(async () => {
    play = await startPlayStandIn({ packageName });
    api = androidpublisher({ version: 'v3', rootUrl: play.rootUrl, fetchImplementation });
    const grant = await postGrant(play.serviceAccount);
    expect(grant).toMatchObject({ status: 200, body: { access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' } });
    auth = { headers: { Authorization: `Bearer ${grant.body.access_token}` } };
  });
  afterAll(() => play.close());

  it('refuses JWT grants Google would: another key, another audience, no androidpublisher scope, expired', async () => {
    const before = play.tokenRequests;
    const other = await startPlayStandIn();
    const refusals = await Promise.all([
      postGrant(play.serviceAccount, {}, other.serviceAccount.private_key),
      postGrant(play.serviceAccount, { aud: 'https://oauth2.googleapis.com/token' }),
      postGrant(play.serviceAccount, { scope: 'https://www.googleapis.com/auth/cloud-platform' }),
      postGrant(play.serviceAccount, { iat: 1_000_000, exp: 1_003_600 }),
    ]);
    await other.close();
    expect(refusals.map(({ status }) => status)).toEqual([400, 400, 400, 400]);
    expect(refusals.map(({ body }) => body.error)).toEqual(Array(4).fill('invalid_grant'));
    expect(refusals.map(({ body }) => body.error_description)).toEqual([
      expect.stringMatching(/Signature/),
      expect.stringMatching(/audience/),
      expect.stringMatching(/scope/),
      expect.stringMatching(/short-lived/),
    ]);
    expect(play.tokenRequests).toBe(before + 4);
  });

  it('serves subscriptionsv2.get and products.get as set, 404 for unknown tokens', async () => {
    const subscription: androidpublisher_v3.Schema$SubscriptionPurchaseV2 = {
      kind: 'androidpublisher#subscriptionPurchaseV2',
      subscriptionState: 'SUBSCRIPTION_STATE_ACTIVE',
      acknowledgementState: 'ACKNOWLEDGEMENT_STATE_PENDING',
      lineItems: [{ productId: 'premium_monthly', expiryTime: '2030-01-01T00:00:00Z' }],
    };
    const product: androidpublisher_v3.Schema$ProductPurchase = { kind: 'androidpublisher#productPurchase', purchaseState: 0, orderId: 'GPA.1234-5678-9012-34567' };
    play.setSubscription(token, subscription);
    play.setProduct('coins_100', token, product);

    const { data: gotSubscription } = await api.purchases.subscriptionsv2.get({ packageName, token }, auth);
    expect(gotSubscription).toEqual(subscription);
    const { data: gotProduct } = await api.purchases.products.get({ packageName, productId: 'coins_100', token }, auth);
    expect(gotProduct).toEqual(product);
    await expect(api.purchases.subscriptionsv2.get({ packageName, token: 'unknown' }, auth)).rejects.toMatchObject({
      status: 404,
      response: { data: { error: { code: 404, message: 'The purchase token was not found.', status: 'NOT_FOUND' } } },
    });
    await expect(api.purchases.products.get({ packageName, productId: 'coins_500', token }, auth)).rejects.toMatchObject({ status: 404 });
  });

  it('records acknowledgements of subscriptions and products', async () => {
    const acknowledged = await api.purchases.subscriptions.acknowledge({ packageName, subscriptionId: 'premium_monthly', token }, auth);
    expect(acknowledged.status).toBe(200);
    await api.purchases.products.acknowledge({ packageName, productId: 'coins_100', token }, auth);
    expect(play.acknowledged).toEqual([
      { kind: 'subscription', productId: 'premium_monthly', token },
      { kind: 'product', productId: 'coins_100', token },
    ]);
  });

  it('lists voided purchases in the window asked for, a page at a time', async () => {
    const voided = (purchaseToken: string, voidedTimeMillis: number): androidpublisher_v3.Schema$VoidedPurchase => ({
      kind: 'androidpublisher#voidedPurchase',
      purchaseToken,
      voidedTimeMillis: String(voidedTimeMillis),
      voidedSource: 0,
      voidedReason: 1,
    });
    play.setVoided([voided('c', 3000), voided('before', 500), voided('a', 1000), voided('b', 2000), voided('after', 9000)]);
    const window = { packageName, startTime: '1000', endTime: '3000', maxResults: 2, type: 1 };

    const first = await api.purchases.voidedpurchases.list(window, auth);
    expect(first.data.voidedPurchases?.map((v) => v.purchaseToken)).toEqual(['a', 'b']);
    const nextPageToken = first.data.tokenPagination?.nextPageToken;
    expect(nextPageToken).toEqual(expect.any(String));
    const second = await api.purchases.voidedpurchases.list({ ...window, token: nextPageToken! }, auth);
    expect(second.data).toEqual({ voidedPurchases: [voided('c', 3000)] });
    expect(play.requests.at(-1)).toEqual({
      method: 'GET',
      path: `/androidpublisher/v3/applications/${packageName}/purchases/voidedpurchases`,
      query: { startTime: '1000', endTime: '3000', maxResults: '2', type: '1', token: nextPageToken },
    });
  });

  it('refuses a bearer it did not issue (401) and another package (404)', async () => {
    await expect(
      api.purchases.subscriptionsv2.get({ packageName, token }, { headers: { Authorization: 'Bearer ya29.not-issued' } }),
    ).rejects.toMatchObject({ status: 401, response: { data: { error: { code: 401, status: 'UNAUTHENTICATED' } } } });
    await expect(api.purchases.subscriptionsv2.get({ packageName, token }, {})).rejects.toMatchObject({ status: 401 });
    await expect(api.purchases.subscriptionsv2.get({ packageName: 'com.example.other', token }, auth)).rejects.toMatchObject({
      status: 404,
      response: { data: { error: { status: 'NOT_FOUND' } } },
    });
  });

  it('fails the next calls as told; googleapis retries a failed GET on its own unless told not to', async () => {
    play.failNext(1, 503);
    await expect(api.purchases.subscriptionsv2.get({ packageName, token }, { ...auth, retry: false })).rejects.toMatchObject({
      status: 503,
      response: { data: { error: { code: 503, status: 'UNAVAILABLE' } } },
    });

    play.failNext(1, 500);
    const calls = play.requests.length;
    await expect(api.purchases.subscriptionsv2.get({ packageName, token }, auth)).resolves.toMatchObject({ status: 200 });
    expect(play.requests.length).toBe(calls + 2);

    // POSTs are not retried by default.
    play.failNext(1, 429);
    await expect(api.purchases.products.acknowledge({ packageName, productId: 'coins_100', token }, auth)).rejects.toMatchObject({ status: 429 });
  });

  it('resets every API connection while down, and answers again once up', async () => {
    play.down();
    // gaxios wraps fetch's TypeError, which wraps the socket's error.
    await expect(api.purchases.subscriptionsv2.get({ packageName, token }, { ...auth, retry: false })).rejects.toMatchObject({
      cause: { cause: { code: 'ECONNRESET' } },
    });
    // The token endpoint is not part of the outage.
    expect((await postGrant(play.serviceAccount)).status).toBe(200);
    play.up();
    await expect(api.purchases.subscriptionsv2.get({ packageName, token }, auth)).resolves.toMatchObject({ status: 200 });
  });
});
