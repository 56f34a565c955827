import { parseCustomAttributes } from '../../domain/profile/custom-attributes.rules';
import { Attributes, BUILT_IN_ATTRIBUTES, CustomAttributeChanges } from '../../domain/profile/profile.events';
import { unwrap } from '../errors/domain-error.exception';
import { ProfileRequestDto } from './profile-request.dto';

/** Splits a validated ProfileRequest into built-in attribute changes and custom attribute changes. */
export function profileInput(dto: ProfileRequestDto): { attributes: Attributes; customAttributes: CustomAttributeChanges } {
  const attributes: Attributes = {};
  for (const name of BUILT_IN_ATTRIBUTES) {
    const value = dto[name as keyof ProfileRequestDto];
    if (value !== undefined) attributes[name] = value;
  }
  const customAttributes = dto.custom_attributes === undefined ? {} : unwrap(parseCustomAttributes(dto.custom_attributes));
  return { attributes, customAttributes };
}
