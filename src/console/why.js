// @ts-check
import { formatInstant, toMs } from './dom.js';

/** @typedef {{ event_id: string, type: string, revision: number, recorded_at: string, data: any, source: { source: string | null, app_id: string | null } }} HistoryEvent */

/** @param {HistoryEvent} e */
const transactionOf = (e) => (e.type === 'TransactionRecorded' ? e.data.transaction : null);

/**
 * The access level an event gives, takes or ends, if any.
 * @param {HistoryEvent} e
 * @returns {string | null}
 */
function levelOf(e) {
  if (e.type === 'AccessGranted' || e.type === 'AccessRevoked' || e.type === 'SourceExpired' || e.type === 'TransactionRecorded') {
    return typeof e.data.access_level_id === 'string' ? e.data.access_level_id : null;
  }
  return null;
}

/**
 * Why the profile is as it is at `at`: for each event recorded by then that still shapes that
 * state, the reasons it does. The access levels, subscriptions, purchases and custom attributes
 * the state holds each point at the event that set them; a level the profile had but no longer
 * has points at the event that ended it (a revoke, an expiry, a refund) or, if none was recorded
 * yet, at the source that ran out.
 *
 * @param {HistoryEvent[]} events the profile's events in commit order
 * @param {any} profile the v2 profile as of `at` (null: it did not exist)
 * @param {number} at
 * @returns {Map<string, string[]>} event id → reasons
 */
export function shapingEvents(events, profile, at) {
  /** @type {Map<string, string[]>} */
  const reasons = new Map();
  if (!profile) return reasons;
  const known = events.filter((e) => toMs(e.recorded_at) <= at);
  /** @param {(e: HistoryEvent) => boolean} test */
  const latest = (test) => {
    for (let i = known.length - 1; i >= 0; i--) if (test(known[i])) return known[i];
    return undefined;
  };
  /**
   * @param {HistoryEvent | undefined} e
   * @param {string} reason
   */
  const add = (e, reason) => {
    if (!e) return;
    const list = reasons.get(e.event_id) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(e.event_id, list);
  };

  add(latest((e) => e.type === 'ProfileCreated'), 'created the profile');
  const held = new Set();
  for (const level of profile.access_levels) {
    held.add(level.access_level_id);
    const source = latest(
      (e) => (e.type === 'AccessGranted' && e.data.grant_id === level.store_transaction_id) || transactionOf(e)?.store_transaction_id === level.store_transaction_id,
    );
    add(source, `gives ${level.access_level_id}`);
    const scheduledRevoke = latest((e) => e.type === 'AccessRevoked' && e.data.access_level_id === level.access_level_id && toMs(e.data.revoke_at) > at);
    if (scheduledRevoke) add(scheduledRevoke, `ends ${level.access_level_id} at ${formatInstant(scheduledRevoke.data.revoke_at)}`);
  }
  for (const s of profile.subscriptions) {
    add(latest((e) => transactionOf(e)?.store_original_transaction_id === s.store_original_transaction_id), `sets subscription ${s.store_product_id}`);
  }
  for (const p of profile.non_subscriptions) {
    add(latest((e) => transactionOf(e)?.store_transaction_id === p.store_transaction_id), `records purchase ${p.store_product_id}`);
  }
  for (const { key } of profile.custom_attributes) {
    add(
      latest((e) => (e.type === 'ProfileCreated' || e.type === 'AttributesUpdated') && Object.prototype.hasOwnProperty.call(e.data.custom_attributes ?? {}, key)),
      `sets ${key}`,
    );
  }
  // Levels had before and gone by `at`: the last event about each explains its absence.
  const explained = new Set(held);
  for (let i = known.length - 1; i >= 0; i--) {
    const level = levelOf(known[i]);
    if (level === null || explained.has(level)) continue;
    explained.add(level);
    const e = known[i];
    const source = e.type === 'AccessGranted' || e.type === 'TransactionRecorded';
    add(e, source ? `gave ${level}, which ran out` : `ended ${level}`);
  }
  return reasons;
}
