import { createHash, timingSafeEqual } from 'node:crypto';
import { DeveloperNotification, notificationTypeOf, ONE_TIME_PRODUCT_PURCHASED, parsePush, PLAY_STORE, purchaseTokenOf } from '../../domain/play-store/play-notification';
import { PlayRecord, PlayResource } from '../../domain/play-store/play-record';
import { playStoreNotConfigured, PlayStoreSetup, playStoreSetupStreamId, recordTest } from '../../domain/play-store/play-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { IntakeOutcomes } from '../shared/intake-outcomes';
import { EventMetadata } from '../shared/event-sourced-repository';
import { StoreAnswer } from '../shared/store-answer';
import { PlayDeveloperApi, PlaySecrets, PushVerifier } from './play-store-ports';
import { StoreSecrets } from '../../projections/store-intake/store-secrets';
import { PlayStorePurchases } from './play-store-purchases';
import { PlayStoreSetupRepository } from './play-store-repositories';

export interface PlayIntakeResult {
  message_id: string;
  notification_type: string;
  /** accepted, duplicate, unattributed (waits for a profile), test, erased, not_found (Google does not know the token), ignored. */
  outcome: string;
}

/** How a push proves it is the app's: the OIDC token Pub/Sub signs, or the token in the push URL. */
export interface PushCredentials {
  bearer: string | null;
  urlToken: string | null;
}

export const playApiUnavailable = (detail: string): DomainError =>
  new DomainError('store_api_unavailable', null, `The Google Play Developer API could not be read now (${detail}); nothing was recorded, try again.`);

const unauthorized = (detail: string): DomainError => new DomainError('store_signature_invalid', 'authorization', `The push is not authenticated: ${detail}`);

/** voidedPurchaseNotification.productType of a subscription. */
const VOIDED_SUBSCRIPTION = 1;

const productOf = (resource: PlayResource | null): string | null => (resource?.kind === 'subscriptionsv2' ? (resource.value.lineItems?.[0]?.productId ?? null) : null);

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Equal digests of equal length: the comparison takes the same time wherever the tokens differ. */
export const sameSecret = (given: string, kept: string): boolean => timingSafeEqual(digest(given), digest(kept));

/** An app's setup with its secrets: both or neither (a store of secrets restored without its log, or the reverse, is not set up). */
export interface PlayApp {
  setup: PlayStoreSetup;
  secrets: PlaySecrets;
}

/**
 * Google Play's door: an authenticated push → the Play Developer API's answer for its token → one
 * record of both in the token's stream (the evidence) → attribution → the ledger's own transaction
 * events. Recorded (repeats, tests and unattributed ones too) is 2xx; what will never verify is a
 * 4xx with nothing recorded; when Google's API cannot answer, 5xx with nothing recorded, so Pub/Sub
 * delivers the push again.
 */
export class PlayStoreIntake {
  constructor(
    private readonly setups: PlayStoreSetupRepository,
    private readonly purchases: PlayStorePurchases,
    private readonly secrets: StoreSecrets,
    private readonly api: PlayDeveloperApi,
    private readonly verifier: PushVerifier,
    private readonly outcomes: IntakeOutcomes,
    private readonly context: CommandContext,
  ) {}

  async app(appId: string): Promise<PlayApp | null> {
    const { state } = await this.setups.load(playStoreSetupStreamId(appId));
    const secrets = state.setup === null ? null : ((await this.secrets.get(appId, PLAY_STORE)) as PlaySecrets | null);
    return state.setup === null || secrets === null ? null : { setup: state.setup, secrets };
  }

  async receive(appId: string, body: unknown, credentials: PushCredentials, source = 'play_store.notification'): Promise<PlayIntakeResult | DomainError> {
    const app = await this.app(appId);
    if (app === null) {
      this.outcomes.passing('not_configured');
      return playStoreNotConfigured();
    }
    const refusal = await this.authenticate(app, credentials);
    if (refusal !== null) {
      if (refusal.code === 'store_verification_unavailable') this.outcomes.passing('unavailable');
      else await this.outcomes.count(appId, 'refused_authentication');
      return refusal;
    }
    const push = parsePush(body);
    if (typeof push === 'string') {
      await this.outcomes.count(appId, 'refused_malformed');
      return new DomainError('store_notification_malformed', 'message', `Not a Google Play real-time developer notification: ${push}`);
    }
    const n = push.notification;
    if (n.packageName !== app.setup.package_name) {
      await this.outcomes.count(appId, 'refused_package');
      return new DomainError('store_app_mismatch', 'packageName', `The notification is for ${n.packageName}; this app is set up for ${app.setup.package_name}.`);
    }
    const result = (outcome: string): PlayIntakeResult => ({ message_id: push.message_id, notification_type: notificationTypeOf(n), outcome });
    const meta = this.context.metadata({ appId, source, commandId: `play-store:${push.message_id}` });
    const token = purchaseTokenOf(n);
    if (token === null) {
      if (!n.testNotification) return this.counted(appId, result('ignored'));
      const now = this.context.clock.now();
      const recorded = await this.setups.execute(playStoreSetupStreamId(appId), (s) => recordTest(s, { messageId: push.message_id, notification: n }, now), meta);
      return this.counted(appId, result(recorded.ok && recorded.appended === 0 ? 'duplicate' : 'test'));
    }
    const known = (await this.purchases.known(appId, token)).records.get(push.message_id);
    let record = known;
    if (!record) {
      const read = await this.read(app, n, token);
      if (!read.ok) {
        this.outcomes.passing('unavailable');
        return playApiUnavailable(read.detail);
      }
      if (read.value === null && !n.voidedPurchaseNotification) return this.counted(appId, result('not_found'));
      record = {
        id: push.message_id,
        event_time: Number(n.eventTimeMillis),
        notification_type: notificationTypeOf(n),
        notification: n,
        product_id: n.subscriptionNotification?.subscriptionId ?? n.oneTimeProductNotification?.sku ?? productOf(read.value),
        resource: read.value,
      };
    }
    const outcome = await this.purchases.record(appId, token, record, meta);
    const acknowledged = outcome === 'erased' ? ({ ok: true, value: false } as const) : await this.acknowledge(app, token, record, meta);
    if (!acknowledged.ok) {
      this.outcomes.passing('unavailable');
      return playApiUnavailable(`the purchase was recorded, but acknowledging it failed: ${acknowledged.detail}`);
    }
    return this.counted(appId, result(outcome));
  }

  /**
   * The Play Developer API's answer for a notification's token: a subscription's state after a voided
   * purchase too (a one-time product's cannot be read: the notification does not name the product;
   * Google's word on the refund is the notification itself).
   */
  private read(app: PlayApp, n: DeveloperNotification, token: string): Promise<StoreAnswer<PlayResource | null>> {
    const key = app.secrets.service_account;
    const pkg = app.setup.package_name;
    if (n.subscriptionNotification || n.voidedPurchaseNotification?.productType === VOIDED_SUBSCRIPTION) return this.api.subscription(key, pkg, token);
    if (n.oneTimeProductNotification) return this.api.product(key, pkg, n.oneTimeProductNotification.sku, token);
    return Promise.resolve({ ok: true, value: null });
  }

  /** A new purchase Google still waits to see acknowledged (when the app asked the ledger to, and it has not yet). */
  async acknowledge(app: PlayApp, token: string, record: PlayRecord, meta: EventMetadata): Promise<StoreAnswer<boolean>> {
    const r = record.resource;
    if (!app.setup.acknowledge || r === null) return { ok: true, value: false };
    if ((await this.purchases.known(meta.app_id, token)).acknowledged_at !== null) return { ok: true, value: false };
    const done = await this.sendAcknowledgement(app, token, record);
    if (done.ok && done.value) await this.purchases.acknowledged(meta.app_id, token, meta);
    return done;
  }

  private sendAcknowledgement(app: PlayApp, token: string, record: PlayRecord): Promise<StoreAnswer<boolean>> {
    const r = record.resource!;
    const key = app.secrets.service_account;
    const pkg = app.setup.package_name;
    if (r.kind === 'subscriptionsv2') {
      const v = r.value;
      const active = v.subscriptionState === 'SUBSCRIPTION_STATE_ACTIVE' || v.subscriptionState === 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD';
      const product = v.lineItems?.[0]?.productId;
      if (v.acknowledgementState !== 'ACKNOWLEDGEMENT_STATE_PENDING' || !active || !product) return Promise.resolve({ ok: true, value: false });
      return this.api.acknowledge(key, pkg, 'subscription', product, token);
    }
    const p = r.kind === 'product' ? r.value : null;
    if (p && p.acknowledgementState === 0 && (p.purchaseState ?? 0) === 0 && record.product_id !== null && record.notification?.oneTimeProductNotification?.notificationType === ONE_TIME_PRODUCT_PURCHASED) {
      return this.api.acknowledge(key, pkg, 'product', record.product_id, token);
    }
    return Promise.resolve({ ok: true, value: false });
  }

  private async authenticate(app: PlayApp, credentials: PushCredentials): Promise<DomainError | null> {
    const { setup, secrets } = app;
    if (setup.push_auth === 'token') {
      if (credentials.urlToken === null) return unauthorized('the push URL carries no token');
      return sameSecret(credentials.urlToken, secrets.push_token ?? '') ? null : unauthorized('the token in the push URL is not this app’s');
    }
    if (credentials.bearer === null) return unauthorized('no OIDC token (Authorization: Bearer …)');
    const identity = await this.verifier.verify(credentials.bearer, setup.push_audience!);
    if (!identity.ok) {
      return identity.retryable
        ? new DomainError('store_verification_unavailable', null, `Google's certificates could not be fetched now (${identity.detail}); try again.`)
        : unauthorized(identity.detail);
    }
    if (identity.email !== setup.push_service_account_email || !identity.email_verified) {
      return unauthorized(`the OIDC token is not from ${setup.push_service_account_email} with a verified email`);
    }
    return null;
  }

  private async counted(appId: string, result: PlayIntakeResult): Promise<PlayIntakeResult> {
    await this.outcomes.count(appId, result.outcome);
    return result;
  }

}
