import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { ProjectionEngine } from '../../projections/engine/projection-engine';
import { ProfileReadModel } from '../../projections/profiles/profile-view';
import { ReadModelReader, StoredProfile } from '../../projections/read-model-store.port';
import { RevisionCache } from '../../shared/revision-cache';
import { ProfileRef } from '../shared/profile-ref';
import { ReadModelFreshness, readModelUnavailable } from '../shared/read-model-freshness';

/**
 * The profile read model as GET serves it. Parsed views are kept per profile by revision (a
 * RevisionCache); the projection thread reports every profile it rewrites, and an advance of the
 * read models it did not make (another process) clears them all. A customer user id is looked up
 * through a hint that is always checked against the view it leads to.
 */
export class ProfileReader {
  private readonly views: RevisionCache<string, ProfileReadModel>;
  private readonly byCustomer = new Map<string, string>();

  constructor(
    private readonly models: ReadModelReader,
    private readonly freshness: ReadModelFreshness,
    engine: ProjectionEngine,
    capacity = 50_000,
  ) {
    this.views = new RevisionCache(capacity);
    engine.onProgress(({ touched }) => {
      if (touched === null) {
        this.views.clear();
        this.byCustomer.clear();
        return;
      }
      for (const [id, revision] of touched) {
        if (revision === null) this.views.delete(id);
        else this.views.invalidate(id, revision);
      }
    });
  }

  /** The profile's view as the read models hold it, once they hold every write acked before this call. */
  async find(ref: ProfileRef): Promise<ProfileReadModel | DomainError> {
    const stale = await this.freshness.ensure();
    if (stale) return stale;
    const cachedId = ref.profileId ?? (ref.customerUserId !== undefined ? this.byCustomer.get(this.customerKey(ref.appId, ref.customerUserId)) : undefined);
    if (cachedId !== undefined) {
      const hit = this.views.get(cachedId)?.value;
      if (hit && hit.app_id === ref.appId && (ref.profileId !== undefined || hit.customer_user_id === ref.customerUserId)) return hit;
    }
    const stored = ref.profileId
      ? await this.models.profileById(ref.appId, ref.profileId)
      : ref.customerUserId !== undefined
        ? await this.models.profileByCustomer(ref.appId, ref.customerUserId)
        : null;
    return stored ? this.remember(stored) : profileNotFound();
  }

  private remember(stored: StoredProfile): ProfileReadModel | DomainError {
    if (stored.stopped) {
      return readModelUnavailable(
        `this profile's read model stopped at event ${stored.stopped.position} (${stored.stopped.event_type}), which could not be applied; it resumes after a fix and \`ledger rebuild\``,
      );
    }
    const cached = this.views.get(stored.profile_id);
    if (cached && cached.revision === stored.revision) return cached.value;
    const view = JSON.parse(stored.view) as ProfileReadModel;
    this.views.set(stored.profile_id, view, stored.revision);
    if (view.customer_user_id !== null) {
      if (this.byCustomer.size >= 100_000) this.byCustomer.clear();
      this.byCustomer.set(this.customerKey(view.app_id, view.customer_user_id), view.profile_id);
    }
    return view;
  }

  private customerKey(appId: string, customerUserId: string): string {
    return `${appId}\u0000${customerUserId}`;
  }
}
