// @ts-check
import { api, ApiError } from './api.js';
import { announce, byId, empty, facts, formatInstant, h, replace } from './dom.js';

const DELIVERIES = '/admin/v1/webhook-deliveries';
const POLL_MS = 1000;
const PAGE = '50';

/**
 * The deliveries of one profile's events to the app's endpoints, newest first, with a
 * redeliver button; refreshed every second while any of them waits for an attempt.
 */
export class WebhooksPanel {
  /** @param {(error: unknown) => void} onError */
  constructor(onError) {
    this.onError = onError;
    this.body = byId('webhooks-body');
    /** @type {string | null} */
    this.profileId = null;
    /** @type {any[]} */
    this.deliveries = [];
    /** @type {string | null} */
    this.nextCursor = null;
    /** @type {Map<string, string>} endpoint id → url */
    this.endpoints = new Map();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {string | null} */
    this.error = null;
    byId('webhooks-refresh').addEventListener('click', () => void this.refresh());
  }

  /** @param {string | null} profileId null: nobody is shown */
  async show(profileId) {
    this.profileId = profileId;
    this.deliveries = [];
    this.nextCursor = null;
    clearTimeout(this.timer);
    if (profileId === null) return;
    try {
      const endpoints = await api('/admin/v1/webhook-endpoints');
      this.endpoints = new Map(endpoints.data.map((/** @type {any} */ e) => [e.id, e.url]));
    } catch (error) {
      this.onError(error);
    }
    await this.refresh();
  }

  /** Reloads the first page (and as many more as were shown). */
  async refresh() {
    const profileId = this.profileId;
    if (profileId === null) return;
    clearTimeout(this.timer);
    const wanted = Math.max(this.deliveries.length, Number(PAGE));
    try {
      /** @type {any[]} */
      const loaded = [];
      let cursor = null;
      do {
        const page = await api(DELIVERIES, { query: { profile_id: profileId, limit: PAGE, ...(cursor ? { cursor } : {}) } });
        loaded.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor && loaded.length < wanted);
      if (profileId !== this.profileId) return;
      this.deliveries = loaded;
      this.nextCursor = cursor;
      this.error = null;
    } catch (error) {
      if (profileId !== this.profileId) return;
      this.error = error instanceof ApiError ? error.message : String(error);
      this.onError(error);
    }
    this.render();
    if (this.deliveries.some((d) => d.status === 'pending')) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
  }

  async more() {
    if (!this.nextCursor || this.profileId === null) return;
    try {
      const page = await api(DELIVERIES, { query: { profile_id: this.profileId, limit: PAGE, cursor: this.nextCursor } });
      this.deliveries.push(...page.data);
      this.nextCursor = page.next_cursor;
    } catch (error) {
      this.onError(error);
    }
    this.render();
  }

  /** @param {any} delivery */
  async redeliver(delivery) {
    try {
      await api(`${DELIVERIES}/${encodeURIComponent(delivery.id)}/redeliver`, { method: 'POST' });
      announce(`Delivery of ${delivery.event_type} queued again.`);
    } catch (error) {
      this.onError(error);
    }
    await this.refresh();
  }

  render() {
    if (this.error) {
      replace(this.body, h('p', { class: 'error' }, `Could not load the deliveries: ${this.error}`));
      return;
    }
    if (this.deliveries.length === 0) {
      replace(
        this.body,
        empty(this.endpoints.size === 0 ? 'No webhook endpoint is configured for this app, so nothing is sent.' : 'No webhook delivery for this customer.'),
      );
      return;
    }
    replace(
      this.body,
      h('ul', { class: 'cards', 'aria-label': 'Webhook deliveries' }, this.deliveries.map((d) => this.item(d))),
      this.nextCursor && h('button', { type: 'button', class: 'secondary', onclick: () => void this.more() }, 'Load older deliveries'),
    );
  }

  /** @param {any} d */
  item(d) {
    const response = d.last_response_status !== null ? `HTTP ${d.last_response_status}` : d.last_error ?? (d.attempts === 0 ? 'not sent yet' : '—');
    return h(
      'li',
      { class: 'card delivery', 'data-delivery-id': d.id, 'data-status': d.status, 'data-event-type': d.event_type },
      h(
        'div',
        { class: 'card-head' },
        h('strong', null, d.event_type),
        h('span', { class: `badge ${d.status}` }, d.status),
        h('span', { class: 'muted' }, `#${d.profile_sequence}`),
      ),
      facts([
        ['Endpoint', this.endpoints.get(d.endpoint_id) ?? d.endpoint_id],
        ['Attempts', String(d.attempts)],
        ['Last response', d.last_error && d.last_response_status !== null ? `${response} (${d.last_error})` : response],
        ['Last attempt', formatInstant(d.last_attempt_at)],
        ['Next attempt', d.status === 'pending' ? formatInstant(d.next_attempt_at) : '—'],
        ...(d.delivered_at ? [/** @type {[string, string]} */ (['Delivered', formatInstant(d.delivered_at)])] : []),
      ]),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          disabled: d.status === 'pending',
          'aria-label': `Redeliver ${d.event_type} #${d.profile_sequence}`,
          onclick: () => void this.redeliver(d),
        },
        'Redeliver',
      ),
    );
  }
}
