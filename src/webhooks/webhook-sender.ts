import { Webhook } from 'standardwebhooks';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';

export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
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
    'webhook-signature': new Webhook(endpoint.secret).sign(deliveryId, now, body),
  };
  if (endpoint.authorization) headers.authorization = endpoint.authorization;
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    // The body is not needed, but reading it frees the connection for reuse.
    await response.arrayBuffer().catch(() => undefined);
    return { ok: response.status >= 200 && response.status < 300, status: response.status, error: null };
  } catch (error) {
    const message = error instanceof Error ? (error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : error.message) : String(error);
    return { ok: false, status: null, error: message };
  }
}
