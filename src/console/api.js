// @ts-check
/**
 * The only place that talks to the ledger. The key lives in this tab's sessionStorage and
 * travels in the Authorization header only: never in a URL, never in a log.
 */

const KEY_SLOT = 'ledger-console.api-key';

export const V2 = '/api/v2/server-side-api';

/** @typedef {{ customerUserId?: string, profileId?: string }} ProfileRef */

export const session = {
  /** @returns {string | null} */
  key: () => sessionStorage.getItem(KEY_SLOT),
  /** @param {string} key */
  keep: (key) => sessionStorage.setItem(KEY_SLOT, key),
  forget: () => sessionStorage.removeItem(KEY_SLOT),
};

/** A refusal from the API (its error envelope) or a request that got no answer (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The messages of Adapty's error envelope, e.g. "Invalid API key.".
 * @param {number} status
 * @param {any} body
 */
function errorOf(status, body) {
  if (body && Array.isArray(body.errors)) {
    const messages = body.errors.flatMap((/** @type {any} */ e) =>
      (Array.isArray(e.errors) ? e.errors : []).map((/** @type {unknown} */ m) => (e.source && e.source !== 'non_field_errors' ? `${e.source}: ${m}` : String(m))),
    );
    return new ApiError(status, String(body.error_code ?? 'error'), messages.join(' ') || `HTTP ${status}`);
  }
  return new ApiError(status, 'error', `The server answered HTTP ${status}.`);
}

/**
 * @param {string} path
 * @param {{ method?: string, profile?: ProfileRef, query?: Record<string, string>, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const key = session.key();
  if (!key) throw new ApiError(401, 'not_authenticated', 'Sign in with an API key first.');
  /** @type {Record<string, string>} */
  const headers = { authorization: `Api-Key ${key}`, accept: 'application/json' };
  if (options.profile?.profileId) headers['adapty-profile-id'] = options.profile.profileId;
  else if (options.profile?.customerUserId !== undefined) headers['adapty-customer-user-id'] = options.profile.customerUserId;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const url = options.query ? `${path}?${new URLSearchParams(options.query)}` : path;
  let response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (error) {
    // A header that cannot carry the id (characters outside Latin-1) fails here too.
    const reason = error instanceof TypeError && /header/i.test(error.message) ? 'The id holds characters an HTTP header cannot carry.' : 'The ledger did not answer.';
    throw new ApiError(0, 'network_error', reason);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw errorOf(response.status, body);
  return body;
}
