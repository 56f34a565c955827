// @ts-check
import { byId, formatInstant, h, replace, toMs } from './dom.js';

/** @typedef {import('./why.js').HistoryEvent} HistoryEvent */

export const PAGE_SIZE = 20;

/** @param {Record<string, unknown> | undefined} changes */
function attributeChanges(changes) {
  return Object.entries(changes ?? {}).map(([key, value]) => (value === null || value === '' ? `${key} removed` : `${key} = ${JSON.stringify(value)}`));
}

/**
 * One line on what an event did.
 * @param {HistoryEvent} e
 */
export function summaryOf(e) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'ProfileCreated':
      return [d.customer_user_id ? `customer user id ${d.customer_user_id}` : 'anonymous', ...attributeChanges(d.custom_attributes)].join(' · ');
    case 'CustomerUserIdAttached':
      return `customer user id ${d.customer_user_id}`;
    case 'AttributesUpdated': {
      const builtIn = Object.keys(d.attributes ?? {}).map((k) => `${k} set`);
      return [...builtIn, ...attributeChanges(d.custom_attributes)].join(' · ') || 'no change';
    }
    case 'TransactionRecorded': {
      const t = d.transaction ?? {};
      const parts = [`${t.purchase_type === 'subscription' ? 'subscription' : 'one-time purchase'} ${t.store_product_id} on ${t.store} (${t.store_transaction_id})`];
      if (d.access_level_id) parts.push(`unlocks ${d.access_level_id}`);
      if (t.expires_at) parts.push(`until ${formatInstant(t.expires_at)}`);
      if (t.refunded_at) parts.push(`refunded ${formatInstant(t.refunded_at)}`);
      if (Array.isArray(d.effects) && d.effects.length) parts.push(d.effects.join(', '));
      if (d.store_notification_id) parts.push(`by store notification ${d.store_notification_id}`);
      return parts.join(' · ');
    }
    case 'StoreNotificationRecorded':
      return `${d.store} notification ${d.notification_type}${d.subtype ? ` / ${d.subtype}` : ''} signed ${formatInstant(d.signed_at)} · original transaction ${d.original_transaction_id} · ${d.notification_id}${d.via === 'notification' ? '' : ` (${d.via})`}`;
    case 'StoreChainReleased':
      return `${d.store} original transaction ${d.original_transaction_id} moved to profile ${d.to_profile_id}`;
    case 'AccessGranted':
      return `${d.access_level_id} ${d.starts_at ? `from ${formatInstant(d.starts_at)} ` : ''}${d.expires_at ? `until ${formatInstant(d.expires_at)}` : 'for life'}`;
    case 'AccessRevoked':
      return `${d.access_level_id} ends ${formatInstant(d.revoke_at)}`;
    case 'SourceExpired':
      return `${d.source === 'grant' ? 'grant' : 'subscription'} ${d.store_transaction_id ?? d.id}${d.access_level_id ? ` of ${d.access_level_id}` : ''} ended ${formatInstant(d.until)}${d.revoked ? ' (revoked)' : ''}`;
    case 'ProfileDeleted':
      return 'profile deleted';
    default:
      return Object.keys(d).join(', ');
  }
}

/**
 * Who wrote an event: the API (and which app), an admin action, or the ledger's own scheduler.
 * @param {HistoryEvent} e
 */
export function sourceOf(e) {
  const raw = e.source?.source ?? '';
  const kind = raw.startsWith('api.')
    ? 'API'
    : raw.startsWith('admin.')
      ? 'admin'
      : raw.startsWith('scheduler.')
        ? 'scheduler'
        : raw.startsWith('app_store.') || raw.startsWith('cli.app_store')
          ? 'App Store'
          : raw || 'unknown';
  return { label: e.source?.app_id ? `${kind} · ${e.source.app_id}` : kind, raw };
}

/**
 * The timeline panel: newest first, paged, filtered by type, marked with what the chosen
 * instant makes of each event (shaping the state, or not recorded yet).
 */
export class Timeline {
  constructor() {
    /** @type {HistoryEvent[]} commit order */
    this.events = [];
    this.filter = '';
    this.page = 0;
    /** @type {Map<string, string[]>} */
    this.reasons = new Map();
    /** @type {number | null} */
    this.at = null;
    this.list = byId('timeline-list');
    this.filterSelect = byId('timeline-filter');
    this.newer = byId('timeline-newer');
    this.older = byId('timeline-older');
    this.filterSelect.addEventListener('change', () => {
      this.filter = this.filterSelect.value;
      this.page = 0;
      this.render();
    });
    this.newer.addEventListener('click', () => this.turn(-1));
    this.older.addEventListener('click', () => this.turn(1));
  }

  /** @param {HistoryEvent[]} events */
  load(events) {
    this.events = events;
    this.page = 0;
    const counts = new Map();
    for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    if (!counts.has(this.filter)) this.filter = '';
    replace(
      this.filterSelect,
      h('option', { value: '' }, `All types (${events.length})`),
      [...counts.keys()].sort().map((type) => h('option', { value: type, selected: type === this.filter }, `${type} (${counts.get(type)})`)),
    );
  }

  /**
   * @param {Map<string, string[]>} reasons
   * @param {number | null} at null: now
   */
  mark(reasons, at) {
    this.reasons = reasons;
    this.at = at;
  }

  /** Shows the page holding the newest event recorded at or before `at`. @param {number} at */
  reveal(at) {
    const index = this.shown().findIndex((e) => toMs(e.recorded_at) <= at);
    if (index >= 0) this.page = Math.floor(index / PAGE_SIZE);
  }

  /** @returns {HistoryEvent[]} newest first, filtered */
  shown() {
    const newestFirst = [...this.events].reverse();
    return this.filter ? newestFirst.filter((e) => e.type === this.filter) : newestFirst;
  }

  /** @param {number} step */
  turn(step) {
    this.page += step;
    this.render();
    this.list.querySelector('li')?.scrollIntoView({ block: 'nearest' });
  }

  render() {
    const shown = this.shown();
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    const slice = shown.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    const first = this.page * PAGE_SIZE + 1;
    byId('timeline-count').textContent = shown.length
      ? `Events ${first}–${first + slice.length - 1} of ${shown.length}, newest first${this.filter ? ` (type ${this.filter})` : ''}.`
      : '';
    byId('timeline-page').textContent = `Page ${this.page + 1} of ${pages}`;
    this.newer.disabled = this.page === 0;
    this.older.disabled = this.page >= pages - 1;
    if (slice.length === 0) {
      replace(this.list, h('li', { class: 'empty' }, this.filter ? `No ${this.filter} event.` : 'No event.'));
      return;
    }
    replace(this.list, slice.map((e) => this.item(e)));
  }

  /** @param {HistoryEvent} e */
  item(e) {
    const reasons = this.reasons.get(e.event_id);
    const future = this.at !== null && toMs(e.recorded_at) > this.at;
    const source = sourceOf(e);
    return h(
      'li',
      { class: `event${reasons ? ' shaping' : ''}${future ? ' future' : ''}`, 'data-event-id': e.event_id, 'data-type': e.type },
      h(
        'div',
        { class: 'event-head' },
        h('strong', { class: 'event-type' }, e.type),
        h('time', { datetime: e.recorded_at }, formatInstant(e.recorded_at, { ms: true })),
        h('span', { class: 'source', title: source.raw }, source.label),
      ),
      h('p', { class: 'event-summary' }, summaryOf(e)),
      reasons && h('p', { class: 'why' }, `Shapes this state: ${reasons.join('; ')}`),
      future && h('p', { class: 'future-note' }, 'Recorded after the chosen instant'),
      h('details', null, h('summary', null, 'Data'), h('pre', null, JSON.stringify(e.data, null, 2))),
    );
  }
}
