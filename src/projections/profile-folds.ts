import { PROFILE_EVENT_TYPES, ProfileEvent, profileStreamId } from '../domain/profile/profile.events';
import { evolve, initialProfileState, ProfileState } from '../domain/profile/profile.state';
import { EventStore, RecordedEvent } from '../event-store/event-store.port';

const PROFILE_STREAM = /^profile-(.+)$/;

/** The profile id of a profile event, or null for any other event. */
export function profileIdOf(e: RecordedEvent): string | null {
  if (!PROFILE_EVENT_TYPES.has(e.type)) return null;
  const match = PROFILE_STREAM.exec(e.streamId);
  return match ? match[1] : null;
}

/** The cache fell behind the batch (another process applied part of it): the runner reads again. */
export class StaleFoldError extends Error {}

/**
 * Folded profile states for a projection, kept in memory by stream revision instead of being
 * stored as JSON and re-parsed for every event. A miss (first sight, eviction, or another
 * process having applied events in between) re-folds the profile from its own stream, so the
 * cache is never trusted beyond the revision it was built from.
 */
export class ProfileFolds {
  private readonly cache = new Map<string, { state: ProfileState; revision: bigint }>();

  constructor(
    private readonly store: EventStore,
    private readonly maxCached = 20_000,
  ) {}

  /** Before a batch is applied (outside its transaction): every profile's state just before its first event here. */
  async prepare(events: RecordedEvent[]): Promise<void> {
    const first = new Map<string, bigint>();
    for (const e of events) {
      const id = profileIdOf(e);
      if (id !== null && !first.has(id)) first.set(id, e.revision);
    }
    for (const [id, revision] of first) {
      const cached = this.cache.get(id);
      if (cached && cached.revision === revision - 1n) continue;
      const prior = revision === 0n ? [] : await this.store.readStream(profileStreamId(id), 0n, Number(revision));
      const state = prior.reduce((s, e) => evolve(s, { type: e.type, data: e.data } as unknown as ProfileEvent), initialProfileState());
      this.remember(id, { state, revision: revision - 1n });
    }
  }

  /** Folds one event of profile `id`; the state before it must be the cached one. */
  fold(id: string, e: RecordedEvent): { before: ProfileState; after: ProfileState } {
    const cached = this.cache.get(id);
    if (!cached || cached.revision !== e.revision - 1n) throw new StaleFoldError(`profile ${id} is not folded up to revision ${e.revision - 1n}`);
    const after = evolve(cached.state, { type: e.type, data: e.data } as unknown as ProfileEvent);
    this.remember(id, { state: after, revision: e.revision });
    return { before: cached.state, after };
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Drops everything (a transaction that folded into the cache was rolled back). */
  clear(): void {
    this.cache.clear();
  }

  private remember(id: string, entry: { state: ProfileState; revision: bigint }): void {
    this.cache.delete(id);
    this.cache.set(id, entry);
    if (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
