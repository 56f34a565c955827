import Stripe from 'stripe';
import { StripeSignatureCheck, StripeSignatureVerifier } from '../../application/stripe/stripe-ports';
import { StripeObject } from '../../domain/stripe/stripe-record';

/** Stripe's own check (`webhooks.constructEvent`: HMAC-SHA256 of the raw body, 300 s tolerance), no API key needed. */
export class StripeWebhookSignatures implements StripeSignatureVerifier {
  private readonly stripe = new Stripe('sk_unused_for_signatures', { telemetry: false });

  verify(rawBody: Buffer, signatureHeader: string, secret: string): StripeSignatureCheck {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, secret);
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const object = (event.data as { object?: unknown } | undefined)?.object;
    if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number' || object === null || typeof object !== 'object') {
      return { ok: false, detail: 'not a Stripe event (id, type, created and data.object are required)' };
    }
    return { ok: true, event: { id: event.id, type: event.type, created: event.created, livemode: event.livemode === true, object: object as StripeObject } };
  }
}
