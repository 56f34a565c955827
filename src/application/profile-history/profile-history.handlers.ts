import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProfileEvent, profileStreamId } from '../../domain/profile/profile.events';
import { foldProfile } from '../../domain/profile/profile.state';
import { DomainError, profileNotFound } from '../../domain/shared/domain-error';
import { toMs } from '../../domain/shared/time';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { toReadModel } from '../../projections/profiles/profile-view';
import { streamUnavailable } from '../shared/event-sourced-repository';
import { ProfileDecisions } from '../shared/profile-decisions';
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

/** Every event of one profile in commit order, paged by revision: reads that profile's stream only. */
@QueryHandler(GetProfileHistoryQuery)
export class GetProfileHistoryHandler implements IQueryHandler<GetProfileHistoryQuery, HistoryPage | DomainError> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly decisions: ProfileDecisions,
  ) {}

  async execute(query: GetProfileHistoryQuery): Promise<HistoryPage | DomainError> {
    const owned = await this.decisions.owned(query.ref);
    if (!owned) return profileNotFound();
    const events = await this.store.readStream(profileStreamId(owned.profileId), query.fromRevision, query.limit + 1);
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
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly decisions: ProfileDecisions,
  ) {}

  async execute(query: GetProfileAsOfQuery): Promise<ProfileResult> {
    const owned = await this.decisions.owned(query.ref);
    if (!owned) return profileNotFound();
    const at = toMs(query.asOf);
    const events = await this.store.readStream(profileStreamId(owned.profileId));
    const known = events.filter((e) => e.recordedAt.getTime() <= at).map((e) => ({ type: e.type, data: e.data }) as unknown as ProfileEvent);
    let state;
    try {
      state = foldProfile(known);
    } catch (error) {
      return streamUnavailable(profileStreamId(owned.profileId), error);
    }
    if (!state.exists) return profileNotFound();
    return { model: toReadModel(state), at };
  }
}
