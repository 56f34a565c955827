import { randomBytes, randomUUID } from 'node:crypto';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { sendWebhook } from './webhook-sender';

/**
 * Adapty's check when an endpoint is saved: POST `{"adapty_check": x}`. A receiver that answers
 * `{"adapty_check_response": x}` passes, and so does any other 2xx (the newer docs' form).
 */
export async function verifyEndpoint(endpoint: WebhookEndpoint, now: Date): Promise<string | null> {
  const check = randomBytes(12).toString('hex');
  const outcome = await sendWebhook(endpoint, `verify_${randomUUID()}`, JSON.stringify({ adapty_check: check }), now);
  if (outcome.ok) return null;
  return outcome.error ?? `the endpoint answered HTTP ${outcome.status} to the verification request`;
}

export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
