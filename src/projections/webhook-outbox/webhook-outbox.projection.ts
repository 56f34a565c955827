import type Database from 'better-sqlite3';
import { ProfileEvent } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { accessLevelsAt, accessSources } from '../../domain/profile/access';
import { toMs } from '../../domain/shared/time';
import {
  ENDPOINT_EVENT_TYPES,
  EndpointEvent,
  endpointWants,
  evolveEndpoints,
  WebhookEndpoint,
} from '../../domain/webhooks/webhook-endpoint';
import { deterministicUuid, formatWebhookDate, WebhookEvent, webhookEventsFor } from '../../domain/webhooks/webhook-events';
import { EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { ProfileFolds, profileIdOf } from '../profile-folds';
import { Projection } from '../projection';

const ENDPOINTS_STREAM = /^webhook-endpoints-(.+)$/;

export interface WebhookPayload {
  profile_id: string;
  customer_user_id: string | null;
  profile_install_datetime: string | null;
  email: string | null;
  event_type: string;
  event_datetime: string | null;
  event_properties: Record<string, unknown>;
  event_api_version: 1;
  user_attributes: Record<string, string | number>;
  integration_ids: null;
  /** Ours: strictly increases across one profile's webhook events, in commit order. */
  profile_sequence: number;
}

/**
 * The webhook outbox: folds the log into endpoint configuration and per-profile state, and
 * for every webhook event enqueues one delivery per endpoint that wants it. Rows and checkpoint
 * commit together, so enqueueing is exactly-once with respect to the log; delivery ids are
 * derived from the event, so a replay enqueues nothing twice.
 */
export class WebhookOutboxProjection implements Projection {
  readonly name = 'webhook_outbox';
  private statements?: ReturnType<WebhookOutboxProjection['prepare']>;

  private readonly folds: ProfileFolds;

  /** `enqueue: false` folds state only: a rebuild must not queue again what was already sent. */
  constructor(
    store: EventStore,
    private readonly options: { enqueue: boolean } = { enqueue: true },
  ) {
    this.folds = new ProfileFolds(store);
  }

  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS webhook_sequences (
        profile_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS webhook_endpoints (
        id TEXT PRIMARY KEY, app_id TEXT NOT NULL, endpoint TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS webhook_deliveries (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT    NOT NULL UNIQUE,
        endpoint_id      TEXT    NOT NULL,
        app_id           TEXT    NOT NULL,
        profile_id       TEXT    NOT NULL,
        profile_sequence INTEGER NOT NULL,
        event_type       TEXT    NOT NULL,
        payload          TEXT    NOT NULL,
        status           TEXT    NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        lease_until      INTEGER,
        last_status      INTEGER,
        last_error       TEXT,
        last_attempt_at  INTEGER,
        created_at       INTEGER NOT NULL,
        enqueued_at      INTEGER NOT NULL,
        delivered_at     INTEGER
      );
      -- The worker walks pending deliveries in sequence order; this index keeps that walk short.
      CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (seq) WHERE status = 'pending';
      -- Counting failed deliveries (a metric) reads this small index, not the whole history.
      CREATE INDEX IF NOT EXISTS webhook_deliveries_failed ON webhook_deliveries (seq) WHERE status = 'failed';
      CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (endpoint_id, profile_id, status, seq);
      CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
    `);
    this.statements = this.prepare(db);
  }

  private prepare(db: Database.Database) {
    return {
      sequence: db.prepare<[string], { sequence: number }>('SELECT sequence FROM webhook_sequences WHERE profile_id = ?'),
      saveSequence: db.prepare(
        'INSERT INTO webhook_sequences (profile_id, sequence) VALUES (?, ?) ON CONFLICT(profile_id) DO UPDATE SET sequence = excluded.sequence',
      ),
      removeSequence: db.prepare('DELETE FROM webhook_sequences WHERE profile_id = ?'),
      endpointsOf: db.prepare<[string], { endpoint: string }>('SELECT endpoint FROM webhook_endpoints WHERE app_id = ?'),
      saveEndpoint: db.prepare(
        'INSERT INTO webhook_endpoints (id, app_id, endpoint) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET endpoint = excluded.endpoint',
      ),
      removeEndpoint: db.prepare('DELETE FROM webhook_endpoints WHERE id = ?'),
      enqueue: db.prepare(
        `INSERT OR IGNORE INTO webhook_deliveries
           (id, endpoint_id, app_id, profile_id, profile_sequence, event_type, payload, next_attempt_at, created_at, enqueued_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  private get s() {
    if (!this.statements) throw new Error('WebhookOutboxProjection used before setup');
    return this.statements;
  }

  beforeBatch(events: RecordedEvent[]): Promise<void> {
    return this.folds.prepare(events);
  }

  apply(_db: Database.Database, events: RecordedEvent[]): void {
    const sequences = new Map<string, { sequence: number; exists: boolean }>();
    const endpointCache = new Map<string, WebhookEndpoint[]>();
    const endpointsOf = (appId: string) => {
      let list = endpointCache.get(appId);
      if (!list) {
        list = this.s.endpointsOf.all(appId).map((r) => JSON.parse(r.endpoint) as WebhookEndpoint);
        endpointCache.set(appId, list);
      }
      return list;
    };
    for (const e of events) {
      const endpointsMatch = ENDPOINTS_STREAM.exec(e.streamId);
      if (endpointsMatch && ENDPOINT_EVENT_TYPES.has(e.type)) {
        this.applyEndpointEvent(endpointsMatch[1], { type: e.type, data: e.data } as unknown as EndpointEvent);
        endpointCache.delete(endpointsMatch[1]);
        continue;
      }
      if (e.type === 'ProfileErased') {
        const id = String(e.data.profile_id);
        this.folds.forget(id);
        sequences.set(id, { sequence: 0, exists: false });
        continue;
      }
      const id = profileIdOf(e);
      if (id === null) continue;
      const { before, after } = this.folds.fold(id, e);
      const event = { type: e.type, data: e.data } as unknown as ProfileEvent;
      let sequence = sequences.get(id)?.sequence ?? this.s.sequence.get(id)?.sequence ?? 0;
      webhookEventsFor(before, event, after).forEach((w, index) => {
        sequence += 1;
        if (!this.options.enqueue) return;
        const wanting = endpointsOf(after.app_id).filter((endpoint) => endpointWants(endpoint, w.event_type, w.environment));
        if (wanting.length === 0) return;
        const body = JSON.stringify(this.payload(after, w, deterministicUuid(`${e.eventId}:${index}`), sequence));
        for (const endpoint of wanting) {
          this.s.enqueue.run(
            deterministicUuid(`${e.eventId}:${index}:${endpoint.id}`),
            endpoint.id,
            after.app_id,
            id,
            sequence,
            w.event_type,
            body,
            e.recordedAt.getTime(),
            e.recordedAt.getTime(),
            Date.now(),
          );
        }
      });
      sequences.set(id, { sequence, exists: after.exists });
    }
    for (const [id, { sequence, exists }] of sequences) {
      if (exists) this.s.saveSequence.run(id, sequence);
      else this.s.removeSequence.run(id);
    }
  }

  rolledBack(): void {
    this.folds.clear();
  }

  private applyEndpointEvent(appId: string, event: EndpointEvent): void {
    const id = event.data.id;
    const row = this.s.endpointsOf.all(appId).map((r) => JSON.parse(r.endpoint) as WebhookEndpoint).find((x) => x.id === id);
    const next = evolveEndpoints(row ? { [id]: row } : {}, event)[id];
    if (next) this.s.saveEndpoint.run(id, appId, JSON.stringify(next));
    else this.s.removeEndpoint.run(id);
  }

  private payload(state: ProfileState, w: WebhookEvent, profileEventId: string, sequence: number): WebhookPayload {
    const at = toMs(w.event_datetime);
    const active = state.exists ? accessLevelsAt(accessSources(state), at).some((s) => s.from <= at) : false;
    return {
      profile_id: state.profile_id,
      customer_user_id: state.customer_user_id,
      profile_install_datetime: formatWebhookDate(state.created_at),
      email: typeof state.attributes.email === 'string' ? state.attributes.email : null,
      event_type: w.event_type,
      event_datetime: formatWebhookDate(w.event_datetime),
      event_properties: {
        ...w.event_properties,
        profile_event_id: profileEventId,
        profile_id: state.profile_id,
        event_datetime: formatWebhookDate(w.event_datetime),
        environment: w.environment,
        profile_total_revenue_usd: state.total_revenue_usd,
        profile_has_access_level: active,
        profile_country: typeof state.attributes.ip_country === 'string' ? state.attributes.ip_country : null,
      },
      event_api_version: 1,
      user_attributes: state.custom_attributes,
      integration_ids: null,
      profile_sequence: sequence,
    };
  }

  reset(db: Database.Database): void {
    // Deliveries are kept: their ids are derived from the log, so a rebuild re-enqueues nothing twice.
    db.exec('DELETE FROM webhook_sequences; DELETE FROM webhook_endpoints;');
    this.folds.clear();
  }
}
