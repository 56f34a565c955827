import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProfileEvent, profileStreamId } from '../../domain/profile/profile.events';
import { foldProfile } from '../../domain/profile/profile.state';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { toMs } from '../../domain/shared/time';
import { RecordedEvent } from '../../event-store/event-store.port';
import { renderProfileV2, toReadModel } from '../../projections/profile-status/profile-read-model';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import { ProfileResult } from '../shared/profile-result';
import { GetProfileAsOfQuery, GetProfileHistoryQuery, HistoryEntry, HistoryPage } from './profile-history.query';

const entryOf = (e: RecordedEvent): HistoryEntry => ({
  event_id: e.eventId,
  type: e.type,
  revision: Number(e.revision),
  recorded_at: e.recordedAt.toISOString(),
  data: e.data,
  source: {
    source: typeof e.metadata.source === 'string' ? e.metadata.source : null,
    app_id: typeof e.metadata.app_id === 'string' ? e.metadata.app_id : null,
  },
});

/** The profile id a request names, if that profile exists and belongs to the caller's app. */
async function ownedProfileId(ledger: Ledger, query: { ref: GetProfileHistoryQuery['ref'] }): Promise<string | null> {
  const profileId = await ledger.resolveProfileId(query.ref);
  if (!profileId) return null;
  const { state } = await ledger.profiles.load(profileStreamId(profileId));
  return state.exists && state.app_id === query.ref.appId ? profileId : null;
}

/** Every event of one profile in commit order, paged by revision: reads that profile's stream only. */
@QueryHandler(GetProfileHistoryQuery)
export class GetProfileHistoryHandler implements IQueryHandler<GetProfileHistoryQuery, HistoryPage | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(query: GetProfileHistoryQuery): Promise<HistoryPage | DomainError> {
    const profileId = await ownedProfileId(this.ledger, query);
    if (!profileId) return profileNotFound();
    const events = await this.ledger.store.readStream(profileStreamId(profileId), query.fromRevision, query.limit + 1);
    const page = events.slice(0, query.limit);
    return {
      data: page.map(entryOf),
      next_revision: events.length > query.limit ? events[query.limit].revision : null,
    };
  }
}

/**
 * The profile exactly as the ledger knew it at an instant: a fold of its own events recorded up
 * to then, with access judged at that instant. Costs that profile's history, never the global log.
 */
@QueryHandler(GetProfileAsOfQuery)
export class GetProfileAsOfHandler implements IQueryHandler<GetProfileAsOfQuery, ProfileResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(query: GetProfileAsOfQuery): Promise<ProfileResult> {
    const profileId = await ownedProfileId(this.ledger, query);
    if (!profileId) return profileNotFound();
    const at = toMs(query.asOf);
    const events = await this.ledger.store.readStream(profileStreamId(profileId));
    const known = events.filter((e) => e.recordedAt.getTime() <= at).map((e) => ({ type: e.type, data: e.data }) as unknown as ProfileEvent);
    const state = foldProfile(known);
    if (!state.exists) return profileNotFound();
    return renderProfileV2(toReadModel(state), at);
  }
}
