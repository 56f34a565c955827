import { V1ProfileId } from '../../application/v1/resolve-v1-profile.query';
import { validationError } from '../../domain/shared/domain-error';
import { DomainErrorException } from '../errors/domain-error.exception';

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64url (RFC 4648 §5, padding optional) of a UTF-8 text; null when `text` is not that:
 * other characters (`+`, `/`), a length no encoding has, stray bits in the last character, or
 * bytes that are not UTF-8. An id sent unencoded with the flag set is therefore refused.
 */
export function decodeBase64UrlText(text: string): string | null {
  if (!BASE64URL.test(text)) return null;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  if (body.length !== text.length && text.length % 4 !== 0) return null;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return null;
  try {
    const decoded = utf8.decode(bytes);
    return decoded.length > 0 ? decoded : null;
  } catch {
    return null;
  }
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

/** `?is_user_id_base64url_encoded=1` (or `true`). */
export const isBase64Flagged = (query: Record<string, unknown>): boolean =>
  ['1', 'true'].includes(String(first(query?.is_user_id_base64url_encoded) ?? '').toLowerCase());

/** `?extended` with any value, even none. */
export const isExtended = (query: Record<string, unknown>): boolean => query !== null && typeof query === 'object' && Object.hasOwn(query, 'extended');

/**
 * The `{profile_id_or_customer_user_id}` of a v1 path. With the base64url flag it is a customer
 * user id, decoded; a malformed encoding is a 400 (contract §1.4).
 */
export function v1ProfileIdOf(raw: string, query: Record<string, unknown>): V1ProfileId {
  if (!isBase64Flagged(query)) return { value: raw, customerUserIdOnly: false };
  const decoded = decodeBase64UrlText(raw);
  if (decoded === null) {
    throw new DomainErrorException([
      validationError(
        'profile_id_or_customer_user_id',
        'is_user_id_base64url_encoded=1 is set, but the id is not a valid Base64URL encoding of a customer user id.',
      ),
    ]);
  }
  return { value: decoded, customerUserIdOnly: true };
}
