import { createHash, randomUUID } from 'node:crypto';

/** Profile ids are UUIDs; a string of that shape can be looked up as one. */
export const isUuid = (value: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** A stable UUID-shaped id per seed: re-deriving from the same inputs gives the same id (deduplication). */
export function deterministicUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Where new ids come from (profile ids, grant ids, command ids): injected, so a test can pin them. */
export interface IdGenerator {
  next(): string;
}

export const randomIds: IdGenerator = { next: randomUUID };
