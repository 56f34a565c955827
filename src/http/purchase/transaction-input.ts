import { Transaction } from '../../domain/profile/profile.events';
import { parseInstant } from '../../domain/shared/time';
import { instantOrNull } from '../validation/is-instant';
import { SetTransactionDto } from './set-transaction.dto';

/** A validated set-transaction body as the domain's Transaction (dates normalised, defaults applied). */
export function transactionInput(dto: SetTransactionDto): Transaction {
  const subscription = dto.purchase_type === 'subscription';
  return {
    purchase_type: dto.purchase_type,
    store: dto.store,
    environment: dto.environment ?? 'Production',
    store_product_id: dto.store_product_id,
    store_transaction_id: dto.store_transaction_id,
    store_original_transaction_id: dto.store_original_transaction_id,
    is_family_shared: dto.is_family_shared ?? false,
    price: { country: dto.price.country.toUpperCase(), currency: dto.price.currency.toUpperCase(), value: dto.price.value },
    purchased_at: parseInstant(dto.purchased_at)!,
    variation_id: dto.variation_id ?? null,
    offer: dto.offer ? { category: dto.offer.category, type: dto.offer.type, id: dto.offer.id ?? null } : null,
    refunded_at: instantOrNull(dto.refunded_at),
    cancellation_reason: dto.cancellation_reason ?? null,
    originally_purchased_at: subscription ? instantOrNull(dto.originally_purchased_at) : null,
    expires_at: subscription ? instantOrNull(dto.expires_at) : null,
    renew_status: subscription ? (dto.renew_status ?? null) : null,
    renew_status_changed_at: subscription ? instantOrNull(dto.renew_status_changed_at) : null,
    billing_issue_detected_at: subscription ? instantOrNull(dto.billing_issue_detected_at) : null,
    grace_period_expires_at: subscription ? instantOrNull(dto.grace_period_expires_at) : null,
  };
}
