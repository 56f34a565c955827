import { DomainError, validationError } from '../shared/domain-error';
import { CustomAttributeChanges } from './profile.events';

export const MAX_CUSTOM_ATTRIBUTES = 30;
const KEY_PATTERN = /^[A-Za-z0-9_.\-]{1,30}$/;
const MAX_VALUE_LENGTH = 50;

/** Checks the wire list `[{key, value}]` and turns it into changes (null deletes a key). */
export function parseCustomAttributes(input: unknown): CustomAttributeChanges | DomainError {
  const source = 'custom_attributes';
  if (!Array.isArray(input)) return validationError(source, 'Expected a list of {key, value} items.');
  if (input.length === 0) return validationError(source, 'custom_attributes must contain at least one key/value pair.');
  const changes = new Map<string, string | number | null>();
  for (const item of input) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return validationError(source, 'Each item must be an object with key and value.');
    }
    const { key, value } = item as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      return validationError(
        source,
        'key must be 1 to 30 characters: letters, numbers, dashes, points and underscores only.',
      );
    }
    if (value === null || value === undefined || value === '') changes.set(key, null);
    else if (typeof value === 'number' && Number.isFinite(value)) changes.set(key, value);
    else if (typeof value === 'boolean') changes.set(key, value ? 1 : 0);
    else if (typeof value === 'string') {
      if (value.length > MAX_VALUE_LENGTH) {
        return validationError(source, `value of ${key} must be at most ${MAX_VALUE_LENGTH} characters.`);
      }
      changes.set(key, value);
    } else return validationError(source, `value of ${key} must be a string or a number.`);
  }
  // Own properties only (a key such as `__proto__` becomes an own property, never the prototype): events carry plain JSON.
  return Object.fromEntries(changes);
}

export function checkCustomAttributeCount(
  current: ReadonlyMap<string, string | number>,
  changes: CustomAttributeChanges,
): DomainError | null {
  const keys = new Set(current.keys());
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) keys.delete(key);
    else keys.add(key);
  }
  return keys.size > MAX_CUSTOM_ATTRIBUTES
    ? validationError('custom_attributes', `A profile can have at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes.`)
    : null;
}
