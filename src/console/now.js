// @ts-check
import { empty, facts, formatInstant, h, toMs } from './dom.js';

/** What a v2 grant writes as the store and product of the access it gives. */
const GRANT_STORE = 'adapty';
const GRANT_PRODUCT = 'adapty_server_side_product';

/** @param {any} level */
export const isGrant = (level) => level.store === GRANT_STORE && level.store_product_id === GRANT_PRODUCT;

/**
 * @param {any} level
 * @param {number} at
 */
function levelStatus(level, at) {
  if (level.starts_at && toMs(level.starts_at) > at) return ['scheduled', `starts ${formatInstant(level.starts_at)}`];
  if (level.is_in_grace_period) return ['active', 'in grace period'];
  return ['active', null];
}

/** @param {any} level */
function renews(level) {
  if (isGrant(level)) return 'no (a grant)';
  if (level.expires_at === null) return '— (lifetime)';
  return level.renewal_cancelled_at ? `no, cancelled ${formatInstant(level.renewal_cancelled_at)}` : 'yes';
}

/** @param {any} level */
const sourceOf = (level) => (isGrant(level) ? 'grant' : `store: ${level.store} · ${level.store_product_id}`);

/**
 * @param {any} profile the v2 profile
 * @param {number} at the instant it is judged at
 * @param {((accessLevelId: string) => void) | null} onRevoke null when the state is not the live one
 */
function accessLevels(profile, at, onRevoke) {
  if (profile.access_levels.length === 0) return empty('No access level at this instant.');
  return h(
    'ul',
    { class: 'cards', 'aria-label': 'Access levels' },
    profile.access_levels.map((/** @type {any} */ level) => {
      const [status, note] = levelStatus(level, at);
      return h(
        'li',
        { class: 'card access-level', 'data-access-level': level.access_level_id },
        h('div', { class: 'card-head' }, h('strong', null, level.access_level_id), h('span', { class: `badge ${status}` }, status), note && h('span', { class: 'muted' }, note)),
        facts([
          ['Expires', level.expires_at ? formatInstant(level.expires_at) : 'never'],
          ['Renews', renews(level)],
          ['Source', sourceOf(level)],
          ['Since', formatInstant(level.starts_at ?? level.purchased_at)],
        ]),
        onRevoke && h('button', { type: 'button', class: 'danger small', onclick: () => onRevoke(level.access_level_id) }, `Revoke ${level.access_level_id}…`),
      );
    }),
  );
}

/** @param {any} profile */
function subscriptions(profile) {
  if (profile.subscriptions.length === 0) return empty('No subscription.');
  return h(
    'ul',
    { class: 'cards', 'aria-label': 'Subscriptions' },
    profile.subscriptions.map((/** @type {any} */ s) =>
      h(
        'li',
        { class: 'card' },
        h('div', { class: 'card-head' }, h('strong', null, s.store_product_id), h('span', { class: 'muted' }, `${s.store} · ${s.environment}`)),
        facts([
          ['Purchased', formatInstant(s.purchased_at)],
          ['Expires', formatInstant(s.expires_at)],
          ['Renews', s.renewal_cancelled_at ? `no, cancelled ${formatInstant(s.renewal_cancelled_at)}` : 'yes'],
          ['Transaction', `${s.store_transaction_id} (original ${s.store_original_transaction_id})`],
          ...(s.billing_issue_detected_at ? [/** @type {[string, string]} */ (['Billing issue', `${formatInstant(s.billing_issue_detected_at)}${s.is_in_grace_period ? ', in grace period' : ''}`])] : []),
        ]),
      ),
    ),
  );
}

/** @param {any} profile */
function oneTimePurchases(profile) {
  if (profile.non_subscriptions.length === 0) return empty('No one-time purchase.');
  return h(
    'ul',
    { class: 'cards', 'aria-label': 'One-time purchases' },
    profile.non_subscriptions.map((/** @type {any} */ p) =>
      h(
        'li',
        { class: 'card' },
        h('div', { class: 'card-head' }, h('strong', null, p.store_product_id), h('span', { class: 'muted' }, `${p.store} · ${p.environment}`), p.is_refund && h('span', { class: 'badge failed' }, 'refunded')),
        facts([
          ['Purchased', formatInstant(p.purchased_at)],
          ['Transaction', p.store_transaction_id],
        ]),
      ),
    ),
  );
}

/** @param {any} profile */
function customAttributes(profile) {
  if (profile.custom_attributes.length === 0) return empty('No custom attribute.');
  return facts(
    profile.custom_attributes.map((/** @type {any} */ a) => [a.key, typeof a.value === 'string' ? a.value : JSON.stringify(a.value)]),
    'facts attributes',
  );
}

/**
 * The "Now" panel's body for a profile as it stands at `at`.
 * @param {any} profile
 * @param {number} at
 * @param {((accessLevelId: string) => void) | null} onRevoke
 */
export function renderProfile(profile, at, onRevoke) {
  return [
    facts([
      ['Customer user id', profile.customer_user_id ?? '— (anonymous)'],
      ['Profile id', h('code', null, profile.profile_id)],
      ['Revenue (USD)', String(profile.total_revenue_usd)],
    ]),
    h('h3', null, 'Access levels'),
    accessLevels(profile, at, onRevoke),
    h('h3', null, 'Subscriptions'),
    subscriptions(profile),
    h('h3', null, 'One-time purchases'),
    oneTimePurchases(profile),
    h('h3', null, 'Custom attributes'),
    customAttributes(profile),
  ];
}
