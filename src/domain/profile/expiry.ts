import { Iso, toMs } from '../shared/time';
import { AccessSource, accessSources } from './access';
import { DecideContext, Decision } from './profile.decide';
import { SourceExpired } from './profile.events';
import { Chain, isTrial, ProfileState } from './profile.state';

/**
 * A store that notifies (the App Store) may speak about a period's end just after it: a renewal, or a
 * billing failure that opens a grace period. A chain its store's notifications feed is recorded as
 * expired this long after its end, so the expiry (and its webhook) does not come before the store's
 * word. Access is judged at read time all the same: it ends at the end.
 */
export const NOTIFIED_EXPIRY_WAIT_MS = 60 * 60 * 1000;

interface Candidate {
  source: 'chain' | 'grant';
  id: string;
  until: number;
  /** When the expiry is recorded (ms): the end, or a while after it for a chain a store notifies about. */
  due: number;
  access_level_id: string | null;
  store_transaction_id: string;
  is_trial: boolean;
  revoked: boolean;
  cancellation_reason: string;
}

/** Why a subscription ended (ours: Adapty does not define it for expiry). */
function reasonOf(chain: Chain | undefined, revoked: boolean): string {
  if (revoked) return 'adapty_revoked';
  const t = chain?.current;
  if (!t) return 'unknown';
  if (t.cancellation_reason) return t.cancellation_reason;
  if (t.billing_issue_detected_at !== null) return 'billing_error';
  if (t.renew_status === false) return 'voluntarily_cancelled';
  return 'unknown';
}

/** The natural end of a chain not mapped to any access level (it still expires, for webhooks). */
function unmappedEnd(chain: Chain): number {
  const t = chain.current;
  const end = toMs(t.expires_at!);
  const grace = t.billing_issue_detected_at !== null && t.grace_period_expires_at !== null ? toMs(t.grace_period_expires_at) : end;
  return Math.max(end, grace);
}

/** Chains the profile's store notifications are about. */
const notifiedChains = (state: ProfileState): Set<string> => new Set(state.store_notifications.values());

function fromSource(state: ProfileState, s: AccessSource, notified: Set<string>): Candidate | null {
  if (s.until === null) return null;
  const chain = s.kind === 'grant' ? undefined : state.chains.get(s.store_original_transaction_id);
  if (chain?.current.refunded_at) return null; // the refund already ended it, and said so
  const naturalEnd = s.kind === 'grant' ? (s.expires_at === null ? null : toMs(s.expires_at)) : null;
  const revoked =
    s.kind === 'grant'
      ? naturalEnd === null || s.until < naturalEnd
      : chain !== undefined && s.kind === 'one_time_purchase'
        ? true
        : chain !== undefined && s.until < unmappedEnd(chain);
  const id = s.kind === 'grant' ? s.store_transaction_id : s.store_original_transaction_id;
  return {
    source: s.kind === 'grant' ? 'grant' : 'chain',
    id,
    until: s.until,
    due: s.kind !== 'grant' && notified.has(id) ? s.until + NOTIFIED_EXPIRY_WAIT_MS : s.until,
    access_level_id: s.access_level_id,
    store_transaction_id: s.store_transaction_id,
    is_trial: s.is_trial,
    revoked,
    cancellation_reason: reasonOf(chain, revoked),
  };
}

/** Every source whose end is known and whose expiry is not yet recorded. */
function pending(state: ProfileState): Candidate[] {
  const out: Candidate[] = [];
  const mapped = new Set<string>();
  const notified = notifiedChains(state);
  for (const s of accessSources(state)) {
    const c = fromSource(state, s, notified);
    if (s.kind !== 'grant') mapped.add(s.store_original_transaction_id);
    if (!c) continue;
    const recorded =
      c.source === 'grant'
        ? state.grants.find((g) => g.grant_id === c.id)?.expiry_recorded_until
        : state.chains.get(c.id)?.expiry_recorded_until;
    if (recorded !== c.until) out.push(c);
  }
  for (const chain of state.chains.values()) {
    if (mapped.has(chain.original_id) || chain.current.purchase_type !== 'subscription' || chain.current.refunded_at) continue;
    const until = unmappedEnd(chain);
    if (chain.expiry_recorded_until === until) continue;
    out.push({
      source: 'chain',
      id: chain.original_id,
      until,
      due: notified.has(chain.original_id) ? until + NOTIFIED_EXPIRY_WAIT_MS : until,
      access_level_id: null,
      store_transaction_id: chain.current.store_transaction_id,
      is_trial: isTrial(chain.current),
      revoked: false,
      cancellation_reason: reasonOf(chain, false),
    });
  }
  return out;
}

/** When the next expiry of this profile falls due (ms), or null: what the expiry schedule stores. */
export function nextExpiryAt(state: ProfileState): number | null {
  if (!state.exists) return null;
  let next: number | null = null;
  for (const c of pending(state)) if (next === null || c.due < next) next = c.due;
  return next;
}

/** Records every expiry that has fallen due. Idempotent: a recorded end is never recorded again. */
export function recordExpiries(state: ProfileState, ctx: DecideContext): Decision {
  if (!state.exists) return [];
  const now = ctx.now.getTime();
  return pending(state)
    .filter((c) => c.due <= now)
    .sort((a, b) => a.until - b.until)
    .map(
      (c): SourceExpired => ({
        type: 'SourceExpired',
        data: {
          source: c.source,
          id: c.id,
          until: new Date(c.until).toISOString() as Iso,
          access_level_id: c.access_level_id,
          store_transaction_id: c.store_transaction_id,
          is_trial: c.is_trial,
          revoked: c.revoked,
          cancellation_reason: c.cancellation_reason,
          recorded_at: ctx.now.toISOString(),
        },
      }),
    );
}
