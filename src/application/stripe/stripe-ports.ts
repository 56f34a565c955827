import { StripeObject } from '../../domain/stripe/stripe-record';
import { StoreAnswer } from '../shared/store-answer';

/** What the ledger keeps for an app outside the log: never read back by any API, never logged. */
export interface StripeSecrets {
  webhook_secret: string;
  api_key: string | null;
}

/** A verified Stripe event (its fields as Stripe names them), or why the signature does not hold. */
export type StripeSignatureCheck =
  | { ok: true; event: { id: string; type: string; created: number; livemode: boolean; object: StripeObject } }
  | { ok: false; detail: string };

export interface StripeSignatureVerifier {
  verify(rawBody: Buffer, signatureHeader: string, secret: string): StripeSignatureCheck;
}

/** Stripe's API with an app's key. `null`: Stripe does not know the object (404). */
export interface StripeApi {
  /** A subscription (`sub_…`), payment intent (`pi_…`), checkout session (`cs_…`, with its line items), charge (`ch_…`) or customer (`cus_…`). */
  retrieve(apiKey: string, id: string): Promise<StoreAnswer<StripeObject | null>>;
  /** The invoices of a subscription, newest first (Stripe's order), every page. */
  invoices(apiKey: string, subscriptionId: string): Promise<StoreAnswer<StripeObject[]>>;
}
