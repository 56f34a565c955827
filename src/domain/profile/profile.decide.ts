import { accessLevelMissing, accessLevelOf, CatalogueState, hasAccessLevel } from '../catalogue/catalogue';
import { DomainError, profileNotFound, validationError } from '../shared/domain-error';
import { formatPythonDate, Iso, toMs } from '../shared/time';
import { accessLevelsAt, accessSources } from './access';
import { checkCustomAttributeCount } from './custom-attributes.rules';
import { Attributes, CustomAttributeChanges, ProfileEvent, Transaction } from './profile.events';
import { isTrial, ProfileState } from './profile.state';
import { checkTransaction } from './transaction.rules';

/** What a decision may use besides state and command: the time and fresh ids. */
export interface DecideContext {
  now: Date;
  newId: () => string;
}

export type Decision = ProfileEvent[] | DomainError;

/** On purchase and access endpoints Adapty answers a missing profile with 400, source non_field_errors. */
export const purchaseProfileNotFound = (): DomainError =>
  new DomainError('profile_does_not_exist', 'non_field_errors', 'Profile not found');

export interface CreateProfile {
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  attributes: Attributes;
  custom_attributes: CustomAttributeChanges;
}

export function createProfile(state: ProfileState, cmd: CreateProfile, ctx: DecideContext): Decision {
  if (state.exists) return [];
  const countError = checkCustomAttributeCount(new Map(), cmd.custom_attributes);
  if (countError) return countError;
  return [
    {
      type: 'ProfileCreated',
      data: {
        app_id: cmd.app_id,
        profile_id: cmd.profile_id,
        customer_user_id: cmd.customer_user_id,
        created_at: ctx.now.toISOString(),
        attributes: cmd.attributes,
        custom_attributes: cmd.custom_attributes,
      },
    },
  ];
}

export function attachCustomerUserId(state: ProfileState, customerUserId: string): Decision {
  if (!state.exists) return profileNotFound();
  if (state.customer_user_id === customerUserId) return [];
  return [{ type: 'CustomerUserIdAttached', data: { customer_user_id: customerUserId } }];
}

export function updateAttributes(
  state: ProfileState,
  cmd: { attributes: Attributes; custom_attributes: CustomAttributeChanges },
): Decision {
  if (!state.exists) return profileNotFound();
  const countError = checkCustomAttributeCount(state.custom_attributes, cmd.custom_attributes);
  if (countError) return countError;
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(cmd.attributes)) {
    if (JSON.stringify(state.attributes[k as keyof Attributes]) !== JSON.stringify(v)) attributes[k as keyof Attributes] = v;
  }
  const custom = new Map<string, string | number | null>();
  for (const [k, v] of Object.entries(cmd.custom_attributes)) {
    const present = state.custom_attributes.has(k);
    if (v === null ? present : state.custom_attributes.get(k) !== v) custom.set(k, v);
  }
  if (Object.keys(attributes).length === 0 && custom.size === 0) return [];
  return [{ type: 'AttributesUpdated', data: { attributes, custom_attributes: Object.fromEntries(custom) } }];
}

const newlySet = (before: Iso | null | undefined, after: Iso | null): boolean => after !== null && (before ?? null) === null;

/** The latest transaction of t's chain purchased no later than t (t itself excluded). */
function predecessorOf(state: ProfileState, t: Transaction): Transaction | undefined {
  let best: Transaction | undefined;
  for (const p of state.transactions.values()) {
    if (p.store_original_transaction_id !== t.store_original_transaction_id || p.store_transaction_id === t.store_transaction_id) continue;
    if (toMs(p.purchased_at) > toMs(t.purchased_at)) continue;
    if (!best || toMs(p.purchased_at) >= toMs(best.purchased_at)) best = p;
  }
  return best;
}

/** Adapty's event types for a transaction change (see event-semantics.md). */
export function effectsOf(state: ProfileState, t: Transaction): string[] {
  const previous = state.transactions.get(t.store_transaction_id);
  const chain = state.chains.get(t.store_original_transaction_id);
  const effects: string[] = [];
  const oneTime = t.purchase_type === 'one_time_purchase';
  if (!previous) {
    if (oneTime) effects.push('non_subscription_purchase');
    else {
      // A late, older transaction gets the event it would have had after its own predecessor.
      const before = !chain || toMs(t.purchased_at) >= toMs(chain.current.purchased_at) ? chain?.current : predecessorOf(state, t);
      if (!before) effects.push(isTrial(t) ? 'trial_started' : 'subscription_started');
      else effects.push(isTrial(before) ? 'trial_converted' : 'subscription_renewed');
    }
  } else if (!oneTime && previous.renew_status !== t.renew_status) {
    const trial = isTrial(t) ? 'trial' : 'subscription';
    effects.push(t.renew_status ? `${trial}_renewal_reactivated` : `${trial}_renewal_cancelled`);
  }
  if (!oneTime && previous === undefined && t.renew_status === false) {
    effects.push(isTrial(t) ? 'trial_renewal_cancelled' : 'subscription_renewal_cancelled');
  }
  if (newlySet(previous?.billing_issue_detected_at, t.billing_issue_detected_at)) {
    effects.push('billing_issue_detected');
    if (t.grace_period_expires_at !== null) effects.push('entered_grace_period');
  } else if (newlySet(previous?.grace_period_expires_at, t.grace_period_expires_at)) {
    effects.push('entered_grace_period');
  }
  if (newlySet(previous?.refunded_at, t.refunded_at)) {
    effects.push(oneTime ? 'non_subscription_purchase_refunded' : 'subscription_refunded');
  }
  return effects;
}

export function recordTransaction(
  state: ProfileState,
  t: Transaction,
  catalogue: CatalogueState,
  ctx: DecideContext,
): Decision {
  if (!state.exists) return purchaseProfileNotFound();
  const ruleError = checkTransaction(t);
  if (ruleError) return ruleError;
  const previous = state.transactions.get(t.store_transaction_id);
  if (previous) {
    if (previous.store_original_transaction_id !== t.store_original_transaction_id || previous.purchase_type !== t.purchase_type) {
      return validationError(
        'store_transaction_id',
        'This store_transaction_id is already recorded under another store_original_transaction_id or purchase_type.',
      );
    }
    if (JSON.stringify(previous) === JSON.stringify(t)) return [];
  }
  const chain = state.chains.get(t.store_original_transaction_id);
  if (chain && chain.current.purchase_type !== t.purchase_type) {
    return validationError('purchase_type', 'This store_original_transaction_id is already recorded with another purchase_type.');
  }
  return [
    {
      type: 'TransactionRecorded',
      data: {
        transaction: t,
        access_level_id: accessLevelOf(catalogue, t.store_product_id),
        purchase_id: chain?.purchase_id ?? ctx.newId(),
        effects: effectsOf(state, t),
        recorded_at: ctx.now.toISOString(),
      },
    },
  ];
}

export function grantAccess(
  state: ProfileState,
  cmd: { access_level_id: string; starts_at: Iso | null; expires_at: Iso | null },
  catalogue: CatalogueState,
  ctx: DecideContext,
): Decision {
  if (!state.exists) return purchaseProfileNotFound();
  if (!hasAccessLevel(catalogue, cmd.access_level_id)) return accessLevelMissing(cmd.access_level_id);
  // Adapty: expires_at "may be in the past"; only an explicit starts_at bounds it.
  if (cmd.starts_at !== null && cmd.expires_at !== null && toMs(cmd.expires_at) <= toMs(cmd.starts_at)) {
    return validationError('expires_at', 'expires_at must be later than starts_at.');
  }
  return [
    {
      type: 'AccessGranted',
      data: {
        grant_id: ctx.newId(),
        access_level_id: cmd.access_level_id,
        starts_at: cmd.starts_at,
        expires_at: cmd.expires_at,
        granted_at: ctx.now.toISOString(),
      },
    },
  ];
}

export function revokeAccess(
  state: ProfileState,
  cmd: { access_level_id: string; revoke_at: Iso | null },
  catalogue: CatalogueState,
  ctx: DecideContext,
): Decision {
  if (!state.exists) return purchaseProfileNotFound();
  if (!hasAccessLevel(catalogue, cmd.access_level_id)) return accessLevelMissing(cmd.access_level_id);
  const now = ctx.now.getTime();
  const current = accessLevelsAt(accessSources(state), now).find((s) => s.access_level_id === cmd.access_level_id);
  if (!current) {
    return new DomainError(
      'profile_paid_access_level_does_not_exist',
      'non_field_errors',
      `Profile \`${state.profile_id}\` has no \`${cmd.access_level_id}\` access level`,
    );
  }
  if (cmd.revoke_at !== null && toMs(cmd.revoke_at) <= now) {
    return new DomainError('value_error', null, 'Must be greater than the current time or null');
  }
  if (cmd.revoke_at !== null && current.expires_at !== null && toMs(cmd.revoke_at) > toMs(current.expires_at)) {
    return new DomainError(
      'revocation_date_more_than_expiration_date',
      'revoke_at',
      `Revocation date (${formatPythonDate(cmd.revoke_at)}) is more than current expiration date (${formatPythonDate(current.expires_at)})`,
    );
  }
  return [
    {
      type: 'AccessRevoked',
      data: { access_level_id: cmd.access_level_id, revoke_at: cmd.revoke_at ?? ctx.now.toISOString(), revoked_at: ctx.now.toISOString() },
    },
  ];
}

export function deleteProfile(state: ProfileState, ctx: DecideContext): Decision {
  if (!state.exists) return profileNotFound();
  return [
    { type: 'ProfileDeleted', data: { profile_id: state.profile_id, app_id: state.app_id, deleted_at: ctx.now.toISOString() } },
  ];
}
