/**
 * The one cache policy of the ledger. Every cache of folded or rendered data is one of these:
 *
 *   An entry remembers the stream revision it was built from. It is used only while nothing newer
 *   is known of that stream: a caller that learns of a newer revision (an append it made, an event
 *   the projector applied, a conflict the store reported) calls `invalidate(key, revision)`, and an
 *   entry built from an older revision is dropped. When a caller cannot tell which streams moved
 *   (another process advanced a shared read model), it calls `clear()`.
 *
 * Where the caches live and who tells them (the rule above is the only one):
 * - command-side states (application/shared/event-sourced-repository): the store checks each append's
 *   expected revision, and a decision that appends nothing re-reads the stream's tail;
 * - the projector's folds (projections/projector): a batch continues a fold only from the revision
 *   just before its event; anything else re-folds from the stream;
 * - GET renderings (application/get-profile/profile-reader): the projector reports every profile
 *   revision it writes; an advance of the read models it did not report clears them.
 *
 * Bounded: the least recently used entry goes first.
 */
export class RevisionCache<K, V> {
  private readonly entries = new Map<K, { value: V; revision: bigint }>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key`, with the revision it was built from. */
  get(key: K): { value: V; revision: bigint } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Touched: move to the back of the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: K, value: V, revision: bigint): void {
    this.entries.delete(key);
    this.entries.set(key, { value, revision });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** A newer revision of `key`'s stream exists: drop an entry built from anything older. */
  invalidate(key: K, revision: bigint): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.revision < revision) this.entries.delete(key);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
