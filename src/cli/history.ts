import { reservationStreamId } from '../domain/profile/customer-user-id';
import { ProfileEvent, profileStreamId } from '../domain/profile/profile.events';
import { foldProfile } from '../domain/profile/profile.state';
import { EventStore, RecordedEvent } from '../event-store/event-store.port';
import { renderProfileV2 } from '../http/presenters/profile-v2.presenter';
import { toReadModel } from '../projections/profiles/profile-view';
import { isUuid } from '../domain/shared/uuid';


export class HistoryNotFound extends Error {}

/** A profile id, or a customer user id of `appId`, to the profile's events (all of them, in order). */
export async function loadHistory(store: EventStore, who: string, appId: string): Promise<{ profileId: string; events: RecordedEvent[] }> {
  if (isUuid(who)) {
    const events = await store.readStream(profileStreamId(who.toLowerCase()));
    if (events.length > 0) return { profileId: who.toLowerCase(), events };
  }
  const reservation = await store.readStream(reservationStreamId(appId, who));
  const last = reservation[reservation.length - 1];
  if (!last || last.type !== 'CustomerUserIdReserved') throw new HistoryNotFound(`No profile "${who}" in app "${appId}"`);
  const profileId = String(last.data.profile_id);
  const events = await store.readStream(profileStreamId(profileId));
  if (events.length === 0) throw new HistoryNotFound(`No profile "${who}" in app "${appId}"`);
  return { profileId, events };
}

function summary(e: RecordedEvent): string {
  const d = e.data as Record<string, any>;
  switch (e.type) {
    case 'ProfileCreated':
      return `customer_user_id=${d.customer_user_id ?? '-'}`;
    case 'AttributesUpdated':
      return [...Object.keys(d.attributes ?? {}), ...Object.keys(d.custom_attributes ?? {}).map((k) => `custom.${k}`)].join(', ');
    case 'TransactionRecorded': {
      const t = d.transaction;
      const price = `${t.price.value} ${t.price.currency}`;
      const by = d.store_notification_id ? ` by notification ${d.store_notification_id}` : '';
      return `${t.store}/${t.store_product_id} tx=${t.store_transaction_id} ${price} → ${d.access_level_id ?? 'no access level'} [${(d.effects ?? []).join(', ')}]${by}`;
    }
    case 'StoreNotificationRecorded':
      return `${d.store} ${d.notification_type}${d.subtype ? `/${d.subtype}` : ''} ${d.notification_id} signed ${d.signed_at} original tx=${d.original_transaction_id} (${d.via})`;
    case 'StoreChainReleased':
      return `${d.store} original tx=${d.original_transaction_id} moved to profile ${d.to_profile_id}`;
    case 'AccessGranted':
      return `${d.access_level_id} from ${d.starts_at ?? 'now'} until ${d.expires_at ?? 'lifetime'}`;
    case 'AccessRevoked':
      return `${d.access_level_id} at ${d.revoke_at}`;
    case 'SourceExpired':
      return `${d.source} ${d.id} ended ${d.until}${d.access_level_id ? ` (${d.access_level_id})` : ''}`;
    default:
      return '';
  }
}

/** A readable timeline; with `asOf`, only what was recorded by then, and the access levels at that instant. */
export function formatHistory(profileId: string, events: RecordedEvent[], asOf: number | null): string {
  const shown = asOf === null ? events : events.filter((e) => e.recordedAt.getTime() <= asOf);
  const lines = [`Profile ${profileId}: ${shown.length} event(s)${asOf === null ? '' : ` recorded by ${new Date(asOf).toISOString()}`}`, ''];
  for (const e of shown) {
    const source = typeof e.metadata.source === 'string' ? e.metadata.source : '';
    lines.push(`${e.recordedAt.toISOString()}  #${e.revision}  ${e.type.padEnd(20)} ${summary(e)}${source ? `  (${source})` : ''}`);
  }
  if (asOf !== null) {
    const state = foldProfile(shown.map((e) => ({ type: e.type, data: e.data }) as ProfileEvent));
    lines.push('');
    if (!state.exists) lines.push('At that instant the profile did not exist.');
    else {
      const profile = renderProfileV2(toReadModel(state), asOf);
      lines.push(`Access at ${new Date(asOf).toISOString()}:`);
      if (profile.access_levels.length === 0) lines.push('  none');
      for (const a of profile.access_levels) {
        lines.push(`  ${a.access_level_id}: ${a.store}/${a.store_product_id} until ${a.expires_at ?? 'lifetime'}`);
      }
      lines.push(`Total revenue (USD): ${profile.total_revenue_usd}`);
    }
  }
  return lines.join('\n');
}

export function historyJson(profileId: string, events: RecordedEvent[], asOf: number | null) {
  const shown = asOf === null ? events : events.filter((e) => e.recordedAt.getTime() <= asOf);
  const state = foldProfile(shown.map((e) => ({ type: e.type, data: e.data }) as ProfileEvent));
  return {
    profile_id: profileId,
    events: shown.map((e) => ({
      event_id: e.eventId,
      type: e.type,
      revision: Number(e.revision),
      recorded_at: e.recordedAt.toISOString(),
      data: e.data,
      source: e.metadata,
    })),
    profile_as_of: asOf !== null && state.exists ? renderProfileV2(toReadModel(state), asOf) : null,
  };
}
