import { createHash, createSign } from 'node:crypto';
import { ServiceAccountKey } from '../../application/play-store/play-store-ports';

const SCOPE = 'https://www.googleapis.com/auth/androidpublisher';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A token is used until this long before Google says it expires. */
const EARLY_MS = 60_000;

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * OAuth access tokens for service accounts, from each key's own `token_uri` (Google's JWT-bearer
 * grant, RFC 7523): Google's own client always posts to Google's endpoint whatever the key says.
 * Cached per key (its email, id and private key's digest): a rotated key is another entry, so nothing
 * needs invalidating; an entry is replaced when its token is about to expire.
 */
export class ServiceAccountTokens {
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async token(key: ServiceAccountKey): Promise<string> {
    const id = createHash('sha256').update(`${key.client_email}\n${key.private_key_id ?? ''}\n${key.token_uri ?? ''}\n${key.private_key}`).digest('hex');
    const cached = this.cache.get(id);
    if (cached && cached.until > this.now()) return cached.token;
    const uri = key.token_uri || GOOGLE_TOKEN_URI;
    const iat = Math.floor(this.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
    const unsigned = `${base64url(header)}.${base64url({ iss: key.client_email, scope: SCOPE, aud: uri, iat, exp: iat + 3600 })}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key).toString('base64url');
    const response = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new Error(`the token endpoint answered ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
    }
    this.cache.set(id, { token: body.access_token, until: this.now() + (body.expires_in ?? 3600) * 1000 - EARLY_MS });
    return body.access_token;
  }
}
