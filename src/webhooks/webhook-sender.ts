import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';

export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
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

/** POSTs and resolves with the status once the whole response has arrived, or rejects after `timeoutMs`. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
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

/**
 * One signed POST. Headers: the endpoint's static `Authorization` exactly as configured
 * (Adapty compatibility) and Standard Webhooks' `webhook-id` / `webhook-timestamp` /
 * `webhook-signature`, signed with the standardwebhooks package.
 */
export async function sendWebhook(
  endpoint: WebhookEndpoint,
  deliveryId: string,
  body: string,
  now: Date,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<SendOutcome> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'subscription-ledger-webhooks/1',
    'webhook-id': deliveryId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signerFor(endpoint.secret).sign(deliveryId, now, body),
  };
  if (endpoint.authorization) headers.authorization = endpoint.authorization;
  try {
    const status = await post(new URL(endpoint.url), headers, body, timeoutMs);
    return { ok: status >= 200 && status < 300, status, error: null };
  } catch (error) {
    return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
  }
}
