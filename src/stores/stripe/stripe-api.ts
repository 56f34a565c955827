import Stripe from 'stripe';
import { StoreAnswer } from '../../application/shared/store-answer';
import { StripeApi } from '../../application/stripe/stripe-ports';
import { StripeObject } from '../../domain/stripe/stripe-record';

const statusOf = (error: unknown): number | null => {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : null;
};

/** Why a call failed, without the key. */
const failed = (error: unknown): { ok: false; detail: string } => {
  const status = statusOf(error);
  return { ok: false, detail: status === null ? 'Stripe could not be reached' : `Stripe answered ${status}` };
};

const plain = (o: unknown): StripeObject => JSON.parse(JSON.stringify(o)) as StripeObject;

/**
 * Stripe's API through the `stripe` library, with each app's key, at STRIPE_API_BASE_URL. One client
 * per key: a rotated key is another entry, so nothing needs invalidating. Retries are Stripe's and
 * the caller's (the webhook answers 503; Stripe delivers it again).
 */
export class StripeApiClient implements StripeApi {
  private readonly clients = new Map<string, Stripe>();
  private readonly connection: { host: string; port: number; protocol: 'http' | 'https' };

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    this.connection = { host: url.hostname, port: Number(url.port) || (protocol === 'http' ? 80 : 443), protocol };
  }

  private client(apiKey: string): Stripe {
    let client = this.clients.get(apiKey);
    if (!client) {
      client = new Stripe(apiKey, { ...this.connection, maxNetworkRetries: 0, timeout: 15_000, telemetry: false });
      this.clients.set(apiKey, client);
    }
    return client;
  }

  async retrieve(apiKey: string, id: string): Promise<StoreAnswer<StripeObject | null>> {
    const stripe = this.client(apiKey);
    try {
      const value = id.startsWith('sub_')
        ? await stripe.subscriptions.retrieve(id)
        : id.startsWith('pi_')
          ? await stripe.paymentIntents.retrieve(id)
          : id.startsWith('cs_')
            ? await stripe.checkout.sessions.retrieve(id, { expand: ['line_items'] })
            : id.startsWith('ch_') || id.startsWith('py_')
              ? await stripe.charges.retrieve(id)
              : id.startsWith('cus_')
                ? await stripe.customers.retrieve(id)
                : null;
      return { ok: true, value: value === null ? null : plain(value) };
    } catch (error) {
      return statusOf(error) === 404 ? { ok: true, value: null } : failed(error);
    }
  }

  async invoices(apiKey: string, subscriptionId: string): Promise<StoreAnswer<StripeObject[]>> {
    try {
      const all: StripeObject[] = [];
      for await (const invoice of this.client(apiKey).invoices.list({ subscription: subscriptionId, limit: 100 })) all.push(plain(invoice));
      return { ok: true, value: all };
    } catch (error) {
      return failed(error);
    }
  }
}
