import type Database from 'better-sqlite3';
import { ProfileReadModel, ProfileV2, renderProfileV2 } from './profile-read-model';

interface Entry {
  profileId: string;
  rendered: ProfileV2;
  /** The next instant at which the rendering would change (a source starts or ends). */
  validUntil: number;
}

/** The next instant after `now` at which anything in the rendering depends on time. */
function nextBoundary(model: ProfileReadModel, now: number): number {
  let next = Infinity;
  const consider = (t: number | null | undefined) => {
    if (t !== null && t !== undefined && t > now && t < next) next = t;
  };
  for (const s of model.sources) {
    consider(s.from);
    consider(s.until);
  }
  for (const sub of model.subscriptions) {
    if (sub.current.grace_period_expires_at) consider(Date.parse(sub.current.grace_period_expires_at));
  }
  return next;
}

/**
 * Renderings of GET responses, reused until the profile changes or time crosses one of its
 * boundaries. Changes made by this process's projection evict their profile; a change by
 * another process (the read-model database's data_version moves) empties the cache.
 */
export class RenderedProfiles {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByProfile = new Map<string, Set<string>>();
  private readonly dataVersion: Database.Statement<[], number>;
  private seenVersion = -1;

  constructor(
    db: Database.Database,
    private readonly maxEntries = 50_000,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  get(key: string, now: number, load: () => ProfileReadModel | null): ProfileV2 | null {
    const version = this.dataVersion.get()!;
    if (version !== this.seenVersion) {
      this.clear();
      this.seenVersion = version;
    }
    const hit = this.entries.get(key);
    if (hit && now < hit.validUntil) return { ...hit.rendered, timestamp: now };
    const model = load();
    if (!model) return null;
    const rendered = renderProfileV2(model, now);
    this.remember(key, { profileId: model.profile_id, rendered, validUntil: nextBoundary(model, now) });
    return rendered;
  }

  evict(profileId: string): void {
    for (const key of this.keysByProfile.get(profileId) ?? []) this.entries.delete(key);
    this.keysByProfile.delete(profileId);
  }

  clear(): void {
    this.entries.clear();
    this.keysByProfile.clear();
  }

  private remember(key: string, entry: Entry): void {
    if (this.entries.size >= this.maxEntries) this.clear();
    this.entries.set(key, entry);
    const keys = this.keysByProfile.get(entry.profileId) ?? new Set<string>();
    keys.add(key);
    this.keysByProfile.set(entry.profileId, keys);
  }
}
