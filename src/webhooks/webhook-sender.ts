import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { staticUrlProblem } from './address-policy';
import { guardedLookup, isAddressRefused } from './guarded-lookup';

export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of a response body is kept (verification reads it; the delivery log keeps an excerpt). */
const RESPONSE_BODY_LIMIT = 16 * 1024;

/** What one POST came to. */
export interface SendOutcome {
  /** The response's status, or null when none arrived (refused, connection error, timeout). */
  status: number | null;
  /** The start of the response body (up to 16 KiB), '' when none. */
  body: string;
  /** Why no response arrived, or null. */
  error: string | null;
  /** Why the address policy refused the URL or its resolved address (no connection was made), or null. */
  refused: string | null;
}

export interface SendOptions {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback, private and link-local addresses may be contacted. */
  allowPrivateAddresses: boolean;
  timeoutMs?: number;
}

// Keep-alive connections per scheme, shared by every endpoint: most deliveries reuse a socket.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

const signers = new Map<string, Webhook>();

function signerFor(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size > 1000) signers.clear();
    signers.set(secret, (signer = new Webhook(secret)));
  }
  return signer;
}

/**
 * POSTs and resolves with the status and the start of the body once the whole response has
 * arrived, or rejects after `timeoutMs`. Redirects are not followed (a 3xx is an answer).
 */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, guarded: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const options = { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent, ...(guarded ? { lookup: guardedLookup } : {}) };
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept >= RESPONSE_BODY_LIMIT) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

const refusal = (reason: string): SendOutcome => ({ status: null, body: '', error: `address refused: ${reason}`, refused: reason });

/**
 * One signed POST. Headers: the endpoint's static `Authorization` exactly as configured
 * (Adapty compatibility) and Standard Webhooks' `webhook-id` / `webhook-timestamp` /
 * `webhook-signature`, signed with the standardwebhooks package. Unless private addresses are
 * allowed, a URL whose literal address is refused is not contacted, and a name is resolved
 * through the guarded lookup, which refuses it before the socket connects.
 */
export async function sendWebhook(endpoint: WebhookEndpoint, deliveryId: string, body: string, now: Date, options: SendOptions): Promise<SendOutcome> {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    return refusal('the endpoint URL is not a valid URL');
  }
  const problem = staticUrlProblem(url, options.allowPrivateAddresses);
  if (problem) return refusal(problem);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'subscription-ledger-webhooks/1',
    'webhook-id': deliveryId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signerFor(endpoint.secret).sign(deliveryId, now, body),
  };
  if (endpoint.authorization) headers.authorization = endpoint.authorization;
  try {
    const response = await post(url, headers, body, options.timeoutMs ?? DELIVERY_TIMEOUT_MS, !options.allowPrivateAddresses);
    return { status: response.status, body: response.body, error: null, refused: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return isAddressRefused(error) ? refusal(message) : { status: null, body: '', error: message, refused: null };
  }
}
