import { DomainError } from '../shared/domain-error';
import { toMs } from '../shared/time';
import { Transaction } from './profile.events';

const err = (code: string, source: string | null, message: string) => new DomainError(code, source, message);

/** Cross-field rules of Adapty's set-transaction, with its exact codes, sources and messages. */
export function checkTransaction(t: Transaction): DomainError | null {
  const purchased = toMs(t.purchased_at);
  if (t.purchase_type === 'one_time_purchase') {
    if (t.store_transaction_id !== t.store_original_transaction_id) {
      return err(
        'store_transaction_id_error',
        'store_transaction_id',
        'store_transaction_id must be equal to store_original_transaction_id for purchase.',
      );
    }
    if (t.offer?.type === 'free_trial') {
      return err('one_time_purchase_trial_error', 'offer.type', 'One-time purchase cannot have a trial.');
    }
  }
  if (t.offer && t.offer.category !== 'introductory' && !t.offer.id) {
    return err('missing_offer_id', 'offer_category', "offer_id must be specified for all offer types except 'introductory'.");
  }
  if (t.offer?.type === 'free_trial' && t.price.value !== 0) {
    return err('free_trial_price_error', 'offer_type', "If offer_type is 'free_trial', price.value must be 0.");
  }
  if (t.is_family_shared && t.price.value !== 0) {
    return err('family_share_price_error', 'is_family_shared', 'If is_family_shared is true, price.value must be 0.');
  }
  if ((t.refunded_at !== null) !== (t.cancellation_reason === 'refund')) {
    return err('refund_fields_error', 'refunded_at', 'refunded_at and cancellation_reason=refund must be specified together.');
  }
  if (t.refunded_at !== null && toMs(t.refunded_at) <= purchased) {
    return err('refund_date_error', 'refunded_at', 'refunded_at must be later than purchased_at.');
  }
  if (t.purchase_type !== 'subscription') return null;

  if (toMs(t.expires_at!) <= purchased) {
    return err('expires_date_error', 'expires_at', 'expires_at must be later than purchased_at.');
  }
  if (t.originally_purchased_at !== null && toMs(t.originally_purchased_at) > purchased) {
    return err(
      'originally_purchased_date_error',
      'originally_purchased_at',
      'originally_purchased_at must be earlier than or equal to purchased_at.',
    );
  }
  if (t.renew_status_changed_at !== null && toMs(t.renew_status_changed_at) <= purchased) {
    return err('renew_status_changed_date_error', 'renew_status_changed_at', 'renew_status_changed_at must be later than purchased_at.');
  }
  if (t.billing_issue_detected_at !== null && toMs(t.billing_issue_detected_at) <= purchased) {
    return err(
      'billing_issue_detected_at_date_comparison_error',
      'billing_issue_detected_at',
      'billing_issue_detected_at must be later than purchased_at.',
    );
  }
  if (t.grace_period_expires_at !== null && t.billing_issue_detected_at === null) {
    return err(
      'grace_period_billing_error',
      'grace_period_billing_error',
      'If grace_period_expires_at is specified, billing_issue_detected_at must also be specified.',
    );
  }
  if (t.grace_period_expires_at !== null && toMs(t.grace_period_expires_at) < toMs(t.expires_at!)) {
    return err('grace_period_expires_date_error', 'grace_period_expires_at', 'grace_period_expires_at must be later or equal to expires_at.');
  }
  return null;
}
