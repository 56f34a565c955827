import { validationError } from '../../domain/shared/domain-error';
import { unwrap } from '../errors/domain-error.exception';

const PREFIX = 'r:';

/** Cursors are opaque to clients: base64url of the next revision. */
export const cursorOf = (revision: bigint): string => Buffer.from(`${PREFIX}${revision}`).toString('base64url');

export function revisionOf(cursor: string | undefined): bigint {
  if (cursor === undefined || cursor === '') return 0n;
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!text.startsWith(PREFIX) || !/^\d{1,18}$/.test(text.slice(PREFIX.length))) {
    unwrap(validationError('cursor', 'cursor is not one this API returned.'));
  }
  return BigInt(text.slice(PREFIX.length));
}

export function historyLimit(raw: string | undefined): number {
  if (raw === undefined) return 100;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1000) unwrap(validationError('limit', 'limit must be an integer from 1 to 1000.'));
  return n;
}
