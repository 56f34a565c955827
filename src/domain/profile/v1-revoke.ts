import { CatalogueState } from '../catalogue/catalogue';
import { isDomainError } from '../shared/domain-error';
import { toMs } from '../shared/time';
import { AccessSource, accessLevelsAt, accessSources } from './access';
import { DecideContext, Decision, recordTransaction, revokeAccess } from './profile.decide';
import { Transaction } from './profile.events';
import { foldProfile, ProfileState } from './profile.state';
import { keepEffects, withProductUnlocking } from './v1-grant';

export interface V1Revoke {
  access_level_id: string;
  is_refund: boolean;
}

const isRefundEffect = (effect: string): boolean => effect.endsWith('_refunded');

/**
 * The transaction behind an access level at `now`: the chain of the source shown for it, or
 * else the longest-lasting chain among its other current sources. Null when only grants give it.
 */
export function linkedSource(state: ProfileState, accessLevelId: string, now: number): AccessSource | null {
  const shown = accessLevelsAt(accessSources(state), now).find((s) => s.access_level_id === accessLevelId);
  if (!shown) return null;
  if (shown.kind !== 'grant') return shown;
  const chains = accessSources(state).filter(
    (s) => s.access_level_id === accessLevelId && s.kind !== 'grant' && (s.until === null || s.until > now),
  );
  const rank = (s: AccessSource) => s.until ?? Infinity;
  return chains.sort((a, b) => rank(b) - rank(a))[0] ?? null;
}

/**
 * v1 revoke's change to the linked transaction: its expiration moves to max(starts, now) (never
 * later than it was), its renewal is off from now, and with is_refund it is refunded now (revenue 0);
 * without, its cancellation_reason becomes adapty_revoked unless it already has one.
 * Null when nothing changes. Instants that would break set-transaction's date rules for a
 * purchase dated after now are left alone (the revocation still ends the access).
 */
export function v1RevokedTransaction(t: Transaction, source: AccessSource, isRefund: boolean, now: number): Transaction | null {
  const purchased = toMs(t.purchased_at);
  const iso = (ms: number) => new Date(ms).toISOString();
  const next: Transaction = { ...t };
  if (t.purchase_type === 'subscription') {
    const cut = Math.max(source.from, now);
    if (cut < toMs(t.expires_at!) && cut > purchased) next.expires_at = iso(cut);
    if (t.renew_status !== false && now > purchased) {
      next.renew_status = false;
      next.renew_status_changed_at = iso(now);
    }
  }
  if (isRefund && t.refunded_at === null) {
    next.refunded_at = iso(Math.max(now, purchased + 1));
    next.cancellation_reason = 'refund';
  } else if (t.refunded_at === null && t.cancellation_reason === null) {
    // So the end it now has reads as a revocation (webhooks, v2), not as the period running out.
    next.cancellation_reason = 'adapty_revoked';
  }
  return JSON.stringify(next) === JSON.stringify(t) ? null : next;
}

/**
 * Adapty v1 revoke (contract §2.12), one decision, one append: the v2 revocation (access ends
 * now, expires_at = max(starts_at, now)), then the linked transaction updated the way a v2
 * set-transaction would update it. Of that update's webhook effects only a refund is kept.
 */
export function decideV1Revoke(state: ProfileState, cmd: V1Revoke, catalogue: CatalogueState, ctx: DecideContext): Decision {
  const now = ctx.now.getTime();
  const linked = state.exists ? linkedSource(state, cmd.access_level_id, now) : null;
  const revoked = revokeAccess(state, { access_level_id: cmd.access_level_id, revoke_at: null }, catalogue, ctx);
  if (isDomainError(revoked) || linked === null) return revoked;
  const chain = state.chains.get(linked.store_original_transaction_id);
  if (!chain) return revoked;
  const updated = v1RevokedTransaction(chain.current, linked, cmd.is_refund, now);
  if (updated === null) return revoked;
  const recorded = recordTransaction(
    foldProfile(revoked, state),
    updated,
    withProductUnlocking(catalogue, updated.store_product_id, chain.access_level_id),
    ctx,
  );
  if (isDomainError(recorded)) return cmd.is_refund ? recorded : revoked;
  return [...revoked, ...keepEffects(recorded, isRefundEffect)];
}
