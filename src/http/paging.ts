import { validationError } from '../domain/shared/domain-error';
import { unwrap } from './errors/domain-error.exception';

/** `?limit=` of a paged list: 1 to 1000, 100 when absent. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 100;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1000) unwrap(validationError('limit', 'limit must be an integer from 1 to 1000.'));
  return n;
}

/**
 * Cursors are opaque to clients: base64url of a tag (what is paged) and a position in it. The tag
 * keeps a cursor of one list from being read as a position in another.
 */
export const cursorOf = (tag: string, position: bigint | number): string => Buffer.from(`${tag}:${position}`).toString('base64url');

/** The position a cursor names; null when there is none (the first page). */
export function positionOf(tag: string, cursor: string | undefined): bigint | null {
  if (cursor === undefined || cursor === '') return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  const prefix = `${tag}:`;
  if (!text.startsWith(prefix) || !/^\d{1,15}$/.test(text.slice(prefix.length))) {
    unwrap(validationError('cursor', 'cursor is not one this API returned.'));
  }
  return BigInt(text.slice(prefix.length));
}
