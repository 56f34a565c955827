import { createHash } from 'node:crypto';
import { PlayRecord, PlayResource } from '../../domain/play-store/play-record';
import { DomainError } from '../../domain/shared/domain-error';
import { playStoreNotConfigured } from '../../domain/play-store/play-setup';
import { CommandContext } from '../shared/command-context';
import { playApiUnavailable, PlayStoreIntake } from './play-store-intake';
import { PlayDeveloperApi } from './play-store-ports';
import { PlayStorePurchases, PurchaseOutcome } from './play-store-purchases';

export interface BackfillLine {
  purchase_token: string;
  /** unchanged: Google says what the ledger holds already. */
  outcome: PurchaseOutcome | 'unchanged' | 'not_found';
}

const sameResource = (a: PlayResource | null, b: PlayResource | null): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What the pushes missed, from Google: a token re-read from the Play Developer API (recorded when its
 * answer differs from the newest the ledger holds), and refunds from Google's voided-purchases list
 * (for tokens the ledger knows). Each is a record of its own, evidence like a push's.
 */
export class PlayStoreBackfill {
  constructor(
    private readonly intake: PlayStoreIntake,
    private readonly purchases: PlayStorePurchases,
    private readonly api: PlayDeveloperApi,
    private readonly context: CommandContext,
  ) {}

  /** `productId`: the token is a one-time product's (subscriptions need none). */
  async reread(appId: string, token: string, productId: string | null): Promise<BackfillLine | DomainError> {
    const app = await this.intake.app(appId);
    if (app === null) return playStoreNotConfigured();
    const key = app.secrets.service_account;
    const read = productId === null ? await this.api.subscription(key, app.setup.package_name, token) : await this.api.product(key, app.setup.package_name, productId, token);
    if (!read.ok) return playApiUnavailable(read.detail);
    if (read.value === null) return { purchase_token: token, outcome: 'not_found' };
    const known = [...(await this.purchases.known(appId, token)).records.values()].filter((r) => r.resource?.kind === read.value!.kind);
    const newest = known.sort((a, b) => a.event_time - b.event_time).pop();
    if (newest && sameResource(newest.resource, read.value)) return { purchase_token: token, outcome: 'unchanged' };
    const now = this.context.clock.now();
    const id = `sync:${createHash('sha256').update(JSON.stringify(read.value)).digest('hex').slice(0, 32)}`;
    const record: PlayRecord = { id, event_time: now.getTime(), notification_type: 'SYNC', notification: null, product_id: productId, resource: read.value };
    const meta = this.context.metadata({ appId, source: 'cli.play_store_sync', commandId: `play-store:${token}:${id}` });
    const outcome = await this.purchases.record(appId, token, record, meta);
    const acknowledged = outcome === 'erased' ? ({ ok: true, value: false } as const) : await this.intake.acknowledge(app, token, record, meta);
    return acknowledged.ok ? { purchase_token: token, outcome } : playApiUnavailable(acknowledged.detail);
  }

  /** Google's voided purchases since `since`: each one of a known token not yet recorded as refunded is recorded. */
  async voided(appId: string, since: Date): Promise<BackfillLine[] | DomainError> {
    const app = await this.intake.app(appId);
    if (app === null) return playStoreNotConfigured();
    const list = await this.api.voided(app.secrets.service_account, app.setup.package_name, since, this.context.clock.now());
    if (!list.ok) return playApiUnavailable(list.detail);
    const lines: BackfillLine[] = [];
    for (const v of list.value) {
      if (!v.purchaseToken || !v.orderId) continue;
      const known = await this.purchases.known(appId, v.purchaseToken);
      const recorded = [...known.records.values()].some(
        (r) => r.notification?.voidedPurchaseNotification?.orderId === v.orderId || (r.resource?.kind === 'voided_purchase' && r.resource.value.orderId === v.orderId),
      );
      if (known.records.size === 0 || recorded) continue;
      const id = `voided:${v.orderId}`;
      const record: PlayRecord = {
        id,
        event_time: Number(v.voidedTimeMillis) || this.context.clock.now().getTime(),
        notification_type: 'VOIDED_PURCHASE',
        notification: null,
        product_id: null,
        resource: { kind: 'voided_purchase', value: v },
      };
      const meta = this.context.metadata({ appId, source: 'cli.play_store_voided', commandId: `play-store:${id}` });
      lines.push({ purchase_token: v.purchaseToken, outcome: await this.purchases.record(appId, v.purchaseToken, record, meta) });
    }
    return lines;
  }
}
