import { parseCustomAttributes } from '../../domain/profile/custom-attributes.rules';
import { Attributes, CustomAttributeChanges } from '../../domain/profile/profile.events';
import { V1Grant, v1SpanRequired } from '../../domain/profile/v1-grant';
import { unwrap } from '../errors/domain-error.exception';
import { instantOrNull } from '../validation/is-instant';
import { V1GrantRequestDto, V1ProfileRequestDto } from './v1.dto';

const V1_ATTRIBUTES = ['ip_country', 'email', 'phone_number', 'first_name', 'last_name', 'gender', 'birthday'] as const;
const GENDER = new Map([
  ['female', 'f'],
  ['male', 'm'],
  ['other', 'o'],
]);

/**
 * A v1 attributes body as the shared commands take it: the same built-in attributes as v2 (gender
 * as `f`/`m`/`o`), and the custom attributes dict checked by the same rules as v2's list.
 */
export function v1ProfileInput(dto: V1ProfileRequestDto): { attributes: Attributes; customAttributes: CustomAttributeChanges } {
  const attributes: Attributes = {};
  for (const name of V1_ATTRIBUTES) {
    const value = dto[name];
    if (value === undefined) continue;
    attributes[name] = name === 'gender' && typeof value === 'string' ? (GENDER.get(value) ?? value) : value;
  }
  const dict = dto.custom_attributes;
  const items = dict ? Object.entries(dict).map(([key, value]) => ({ key, value })) : [];
  const customAttributes = items.length === 0 ? {} : unwrap(parseCustomAttributes(items));
  return { attributes, customAttributes };
}

/** A validated v1 grant body (absent and null alike), refusing one that says nothing about how long. */
export function v1GrantInput(accessLevelId: string, dto: V1GrantRequestDto): V1Grant {
  const grant: V1Grant = {
    access_level_id: accessLevelId,
    is_lifetime: dto.is_lifetime ?? null,
    expires_at: instantOrNull(dto.expires_at),
    duration_days: dto.duration_days ?? null,
    starts_at: instantOrNull(dto.starts_at),
    vendor_product_id: dto.vendor_product_id ?? null,
    vendor_transaction_id: dto.vendor_transaction_id ?? null,
    vendor_original_transaction_id: dto.vendor_original_transaction_id ?? null,
    store: dto.store ?? null,
    introductory_offer_type: dto.introductory_offer_type ?? null,
    price: dto.price ?? null,
    price_locale: dto.price_locale ?? null,
    is_sandbox: dto.is_sandbox ?? null,
  };
  if (grant.is_lifetime !== true && grant.expires_at === null && grant.duration_days === null) unwrap(v1SpanRequired());
  return grant;
}
