import { androidpublisher_v3, androidpublisher } from '@googleapis/androidpublisher';
import { PlayDeveloperApi, ServiceAccountKey } from '../../application/play-store/play-store-ports';
import { StoreAnswer } from '../../application/shared/store-answer';
import { PlayProductPurchase, PlayResource, PlaySubscriptionV2, PlayVoidedPurchase } from '../../domain/play-store/play-record';
import { ServiceAccountTokens } from './service-account-token';

interface GoogleFailure {
  status?: number;
  response?: { status?: number };
  message?: string;
}

const statusOf = (error: unknown): number | null => {
  const e = error as GoogleFailure;
  return e?.status ?? e?.response?.status ?? null;
};

/** Why a call failed, without the request (its URL names the purchase token) or the credentials. */
const detailOf = (error: unknown): string => {
  const status = statusOf(error);
  return status === null ? 'Google could not be reached' : `Google answered ${status}`;
};

/**
 * The Play Developer API through Google's client, with each app's service account. Google's own
 * retries are off: the push is answered at once and Pub/Sub delivers it again.
 */
export class GooglePlayDeveloperApi implements PlayDeveloperApi {
  private readonly client: androidpublisher_v3.Androidpublisher;
  private readonly tokens = new ServiceAccountTokens();

  constructor(rootUrl: string) {
    // Node's own fetch: Google's default loads node-fetch through a dynamic import, which some hosts (jest's sandbox) refuse.
    const options: androidpublisher_v3.Options = { version: 'v3', rootUrl, retry: false, timeout: 15_000 };
    this.client = androidpublisher({ ...options, fetchImplementation: fetch } as androidpublisher_v3.Options);
  }

  private async call<T>(key: ServiceAccountKey, run: (options: { headers: Record<string, string> }) => Promise<{ data: T }>, notFound?: T): Promise<StoreAnswer<T>> {
    let token: string;
    try {
      token = await this.tokens.token(key);
    } catch (error) {
      return { ok: false, detail: `no access token for ${key.client_email}: ${error instanceof Error ? error.message : String(error)}` };
    }
    try {
      return { ok: true, value: (await run({ headers: { Authorization: `Bearer ${token}` } })).data };
    } catch (error) {
      const status = statusOf(error);
      if (notFound !== undefined && (status === 404 || status === 410)) return { ok: true, value: notFound };
      return { ok: false, detail: detailOf(error) };
    }
  }

  async subscription(key: ServiceAccountKey, packageName: string, token: string): Promise<StoreAnswer<PlayResource | null>> {
    const read = await this.call<androidpublisher_v3.Schema$SubscriptionPurchaseV2 | null>(key, (o) => this.client.purchases.subscriptionsv2.get({ packageName, token }, o), null);
    return read.ok ? { ok: true, value: read.value === null ? null : { kind: 'subscriptionsv2', value: strip<PlaySubscriptionV2>(read.value) } } : read;
  }

  async product(key: ServiceAccountKey, packageName: string, productId: string, token: string): Promise<StoreAnswer<PlayResource | null>> {
    const read = await this.call<androidpublisher_v3.Schema$ProductPurchase | null>(key, (o) => this.client.purchases.products.get({ packageName, productId, token }, o), null);
    return read.ok ? { ok: true, value: read.value === null ? null : { kind: 'product', value: strip<PlayProductPurchase>(read.value) } } : read;
  }

  async acknowledge(key: ServiceAccountKey, packageName: string, kind: 'subscription' | 'product', productId: string, token: string): Promise<StoreAnswer<boolean>> {
    const done = await this.call<unknown>(key, (o) =>
      kind === 'subscription'
        ? this.client.purchases.subscriptions.acknowledge({ packageName, subscriptionId: productId, token, requestBody: {} }, o)
        : this.client.purchases.products.acknowledge({ packageName, productId, token, requestBody: {} }, o),
    );
    if (done.ok) return { ok: true, value: true };
    // Google refuses an acknowledgement for good (already acknowledged, cancelled): nothing to retry.
    return /answered 4\d\d/.test(done.detail) && !/answered (401|403|429)/.test(done.detail) ? { ok: true, value: false } : done;
  }

  async voided(key: ServiceAccountKey, packageName: string, since: Date, until: Date): Promise<StoreAnswer<PlayVoidedPurchase[]>> {
    const all: PlayVoidedPurchase[] = [];
    let page: string | undefined;
    do {
      const read = await this.call<androidpublisher_v3.Schema$VoidedPurchasesListResponse>(key, (o) =>
        this.client.purchases.voidedpurchases.list({ packageName, startTime: String(since.getTime()), endTime: String(until.getTime()), maxResults: 1000, token: page, type: 1 }, o),
      );
      if (!read.ok) return read;
      all.push(...(read.value.voidedPurchases ?? []).map((v) => strip<PlayVoidedPurchase>(v)));
      page = read.value.tokenPagination?.nextPageToken ?? undefined;
    } while (page);
    return { ok: true, value: all };
  }
}

/** Google's answers with their nulls dropped (the mapping reads absent fields as absent). */
const strip = <T>(value: object): T => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v === null ? undefined : v))) as T;
