import { createPublicKey, generateKeyPair, KeyObject, randomBytes, verify } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { androidpublisher_v3 } from '@googleapis/androidpublisher';

/**
 * The Google Play Developer API on loopback, written from Google's public docs: the OAuth token
 * endpoint a service account's JWT grant goes to, and the purchase routes the ledger reads and
 * acknowledges through `@googleapis/androidpublisher` (its `rootUrl` option pointed here). Tests can
 * then drive Play purchases end to end, with outages and refused credentials, without Google.
 */

/** The JSON key file Google Cloud hands out for a service account (the fields a client reads). */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  /** PKCS#8 PEM. */
  private_key: string;
  client_email: string;
  client_id: string;
  /** This stand-in's token endpoint: where the JWT grant is posted, and the JWT's `aud`. */
  token_uri: string;
}

export interface PlayApiCall {
  method: string;
  /** As the client sent it (path segments still URL-encoded). */
  path: string;
  query: Record<string, string>;
}

export interface Acknowledgement {
  kind: 'subscription' | 'product';
  productId: string;
  token: string;
}

export interface PlayStandIn {
  packageName: string;
  serviceAccount: ServiceAccountKey;
  /** For `androidpublisher({ version: 'v3', rootUrl })`. */
  rootUrl: string;
  /** Every API call that reached the stand-in (token requests aside), refused and failed ones included. */
  requests: PlayApiCall[];
  acknowledged: Acknowledgement[];
  /** POSTs to the token endpoint so far, refused ones included. */
  readonly tokenRequests: number;
  setSubscription(token: string, resource: androidpublisher_v3.Schema$SubscriptionPurchaseV2): void;
  setProduct(productId: string, token: string, resource: androidpublisher_v3.Schema$ProductPurchase): void;
  /** What voidedpurchases.list draws from (each entry needs `voidedTimeMillis`). */
  setVoided(list: androidpublisher_v3.Schema$VoidedPurchase[]): void;
  /** The next `count` API calls answer `status` in Google's error shape. */
  failNext(count: number, status?: number): void;
  /** While down, every API call has its connection reset (the token endpoint still answers). */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

const SCOPE = 'https://www.googleapis.com/auth/androidpublisher';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const API = /^\/androidpublisher\/v3\/applications\/([^/]+)\/purchases\/(.+)$/;
// Custom methods (`:acknowledge`) follow a literal colon; the client encodes any colon inside a value.
const SUBSCRIPTION_V2 = /^subscriptionsv2\/tokens\/([^/:]+)$/;
const PRODUCT = /^products\/([^/:]+)\/tokens\/([^/:]+)$/;
const ACKNOWLEDGE = /^(subscriptions|products)\/([^/:]+)\/tokens\/([^/:]+):acknowledge$/;
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
// Google's defaults when voidedpurchases.list is given no window: the last 30 days, up to now.
const VOIDED_DEFAULT_WINDOW_MS = 30 * 24 * 3600 * 1000;
const VOIDED_DEFAULT_PAGE = 1000;

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
};

const sendError = (res: ServerResponse, code: number, message: string): void =>
  sendJson(res, code, { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' } });

export async function startPlayStandIn(options: { packageName?: string } = {}): Promise<PlayStandIn> {
  const packageName = options.packageName ?? 'com.example.app';
  const keys = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicKey = createPublicKey(keys.publicKey);

  const subscriptions = new Map<string, androidpublisher_v3.Schema$SubscriptionPurchaseV2>();
  const products = new Map<string, androidpublisher_v3.Schema$ProductPurchase>();
  let voided: androidpublisher_v3.Schema$VoidedPurchase[] = [];
  // Page tokens are random, so a client can only continue a listing with the token it was given.
  const pageOffsets = new Map<string, number>();
  const accessTokens = new Set<string>();
  const failing = { count: 0, status: 503 };
  let isDown = false;
  let tokenRequests = 0;
  const requests: PlayApiCall[] = [];
  const acknowledged: Acknowledgement[] = [];
  // Filled in once the server listens: the token endpoint checks JWTs against it.
  let serviceAccount!: ServiceAccountKey;

  const issueToken = (res: ServerResponse, body: string): void => {
    tokenRequests += 1;
    const form = new URLSearchParams(body);
    const refusal =
      form.get('grant_type') === JWT_BEARER
        ? grantRefusal(form.get('assertion') ?? '', publicKey, serviceAccount)
        : `Invalid grant_type: ${form.get('grant_type') ?? ''}`;
    if (refusal) return sendJson(res, 400, { error: 'invalid_grant', error_description: refusal });
    const accessToken = `ya29.${randomBytes(32).toString('base64url')}`;
    accessTokens.add(accessToken);
    sendJson(res, 200, { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' });
  };

  // `type` (in-app products only, or subscriptions too) is not applied, since a VoidedPurchase does
  // not say which it is: tests check what was asked for in `requests`.
  const listVoided = (res: ServerResponse, query: URLSearchParams): void => {
    const now = Date.now();
    const start = Number(query.get('startTime') ?? now - VOIDED_DEFAULT_WINDOW_MS);
    const end = Number(query.get('endTime') ?? now);
    const pageSize = Number(query.get('maxResults') ?? VOIDED_DEFAULT_PAGE);
    const pageToken = query.get('token');
    const offset = pageToken === null ? 0 : pageOffsets.get(pageToken);
    if (offset === undefined) return sendError(res, 400, 'The page token is invalid.');
    const inWindow = voided
      .filter((v) => Number(v.voidedTimeMillis) >= start && Number(v.voidedTimeMillis) <= end)
      .sort((a, b) => Number(a.voidedTimeMillis) - Number(b.voidedTimeMillis));
    const page = inWindow.slice(offset, offset + pageSize);
    const body: androidpublisher_v3.Schema$VoidedPurchasesListResponse = {};
    // Google's JSON leaves empty lists out altogether.
    if (page.length) body.voidedPurchases = page;
    if (offset + pageSize < inWindow.length) {
      const nextPageToken = randomBytes(12).toString('base64url');
      pageOffsets.set(nextPageToken, offset + pageSize);
      body.tokenPagination = { nextPageToken };
    }
    sendJson(res, 200, body);
  };

  const serveApi = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    if (isDown) return void req.socket.resetAndDestroy();
    if (failing.count > 0) {
      failing.count -= 1;
      return sendError(res, failing.status, 'Injected failure.');
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !accessTokens.has(bearer)) {
      const message = 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
      return sendError(res, 401, message);
    }
    const [, pkg, rest] = API.exec(url.pathname) ?? [];
    if (rest === undefined) return sendError(res, 404, 'Not found.');
    if (decodeURIComponent(pkg) !== packageName) return sendError(res, 404, 'No application was found for the given package name.');

    let match: RegExpExecArray | null;
    if (req.method === 'GET' && (match = SUBSCRIPTION_V2.exec(rest))) {
      const found = subscriptions.get(decodeURIComponent(match[1]));
      return found ? sendJson(res, 200, found) : sendError(res, 404, 'The purchase token was not found.');
    }
    if (req.method === 'GET' && (match = PRODUCT.exec(rest))) {
      const found = products.get(`${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`);
      return found ? sendJson(res, 200, found) : sendError(res, 404, 'The purchase token was not found.');
    }
    if (req.method === 'POST' && (match = ACKNOWLEDGE.exec(rest))) {
      acknowledged.push({
        kind: match[1] === 'subscriptions' ? 'subscription' : 'product',
        productId: decodeURIComponent(match[2]),
        token: decodeURIComponent(match[3]),
      });
      // Google answers an acknowledgement with 200 and no body at all.
      return void res.writeHead(200, { 'content-length': 0 }).end();
    }
    if (req.method === 'GET' && rest === 'voidedpurchases') return listVoided(res, url.searchParams);
    sendError(res, 404, 'Not found.');
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (req.method === 'POST' && url.pathname === '/token') issueToken(res, body);
        else serveApi(req, res, url);
      } catch (error) {
        // A malformed request (a bad percent-escape, say) fails its own call, not the test process.
        sendError(res, 500, String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serviceAccount = {
    type: 'service_account',
    project_id: 'ledger-tests',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: keys.privateKey,
    client_email: 'play-ledger@ledger-tests.iam.gserviceaccount.com',
    client_id: String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(8).toString('hex')}`)),
    token_uri: `${url}/token`,
  };

  return {
    packageName,
    serviceAccount,
    rootUrl: `${url}/`,
    requests,
    acknowledged,
    get tokenRequests() {
      return tokenRequests;
    },
    setSubscription: (token, resource) => void subscriptions.set(token, resource),
    setProduct: (productId, token, resource) => void products.set(`${productId}/${token}`, resource),
    setVoided: (list) => void (voided = list),
    failNext: (count, status = 503) => Object.assign(failing, { count, status }),
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Why Google's token endpoint would refuse this JWT grant (its error descriptions), or undefined if it would not. */
function grantRefusal(assertion: string, publicKey: KeyObject, account: ServiceAccountKey): string | undefined {
  const [header, payload, signature] = assertion.split('.');
  if (signature === undefined) return 'Invalid JWT: the assertion is not a signed JWT.';
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))) {
    return 'Invalid JWT Signature.';
  }
  // Signed with the account's key, so any malformed JSON here is the client's bug: the server's catch answers it 500.
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (alg !== 'RS256') return `Invalid JWT: unsupported alg ${alg}.`;
  if (claims.iss !== account.client_email) return 'Invalid grant: account not found';
  if (claims.aud !== account.token_uri) return `Invalid JWT: Failed audience check. The right audience is ${account.token_uri}`;
  if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(SCOPE)) {
    return 'Invalid OAuth scope or ID token audience provided.';
  }
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp - claims.iat <= 3600)) {
    return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
  }
  return undefined;
}
