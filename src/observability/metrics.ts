import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readBackupState } from './backup-state';
import type { DeliveryOutcome } from '../webhooks/delivery-outcome';
import { EngineMetrics } from './engine-metrics';
import { EngineProbe } from './engine-probe';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric the ledger exports, in its own registry (several apps in one process stay apart).
 * Labels take bounded values only: route templates, methods, status codes, outcomes and
 * projection names; never a profile, an app or a URL.
 */
export class Metrics implements EngineMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status, with their latency (the _count series counts requests)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Children per label set: prom-client hashes the labels on every call otherwise. */
  private readonly httpChildren = new Map<string, { observe(v: number): void }>();

  private readonly appends = new Counter({ name: 'ledger_appends_total', help: 'Appends committed (one stream each)', registers: [this.registry] });
  private readonly appendedEvents = new Counter({ name: 'ledger_appended_events_total', help: 'Events committed', registers: [this.registry] });
  private readonly conflicts = new Counter({
    name: 'ledger_append_conflicts_total',
    help: 'Appends refused because the stream had moved on (optimistic concurrency); the command decides again',
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'ledger_group_commit_appends',
    help: 'Appends committed together in one transaction (group commit, SQLite or PostgreSQL)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  private readonly fsync = new Histogram({
    name: 'ledger_group_commit_fsync_seconds',
    help: 'Duration of the COMMIT of each group commit (SQLite: the fsync, with SQLITE_SYNCHRONOUS=FULL; PostgreSQL: the append statement, its WAL flush included)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly lagEvents = new Gauge({
    name: 'ledger_projection_lag_events',
    help: 'Events in the log a read model has not applied yet (counted up to READY_MAX_LAG_EVENTS)',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  private readonly lagSeconds = new Gauge({
    name: 'ledger_projection_lag_seconds',
    help: 'Age of the oldest event a read model has not applied yet (0 when caught up)',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  private readonly stoppedStreams = new Gauge({
    name: 'ledger_stopped_streams',
    help: 'Streams stopped at an event the projections could not apply (their reads answer 503 until a fix and `ledger rebuild`)',
    registers: [this.registry],
  });
  private readonly outboxPending = new Gauge({
    name: 'ledger_webhook_outbox_pending',
    help: 'Webhook deliveries waiting to be sent or retried',
    registers: [this.registry],
  });
  private readonly outboxFailed = new Gauge({
    name: 'ledger_webhook_outbox_failed',
    help: 'Webhook deliveries that used up their attempts (redeliverable)',
    registers: [this.registry],
  });
  private readonly deliveryAttempts = new Counter({
    name: 'ledger_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly deliveryDuration = new Histogram({
    name: 'ledger_webhook_delivery_duration_seconds',
    help: 'Time from sending a webhook to its response (or failure), by outcome',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly expiries = new Counter({
    name: 'ledger_expiries_recorded_total',
    help: 'Expiry events recorded by the expiry scheduler',
    registers: [this.registry],
  });

  private readonly storeNotifications = new Counter({
    name: 'ledger_store_notifications_total',
    help: 'Store notifications by store and outcome: accepted, duplicate, unattributed (waits for a profile), test, erased, refused_<reason>, not_configured, unavailable',
    labelNames: ['store', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly unattributed = new Gauge({
    name: 'ledger_store_unattributed_waiting',
    help: 'Store purchases whose notifications wait for a profile to claim them (App Store original transactions, Google Play tokens, Stripe customers), by store (all apps)',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  private readonly lastBackup = new Gauge({
    name: 'ledger_last_backup_timestamp_seconds',
    help: 'When the last successful `ledger backup` of the embedded log finished (unix seconds; 0: none recorded). Alert when it grows old',
    registers: [this.registry],
  });
  private readonly lastBackupHead = new Gauge({
    name: 'ledger_last_backup_head_position',
    help: 'The log position the last successful backup copied up to',
    registers: [this.registry],
  });
  /** The embedded log's backup state file, read at each scrape (written by `ledger backup`, another process). */
  private backupStateFile: string | null = null;

  /** Asked at each scrape for the unattributed counts by store; set by the runtime. */
  private waiting: (() => Promise<ReadonlyMap<string, number>>) | null = null;

  /** Asked at each scrape; set once the engine exists (the engine needs this object first). */
  private probe: EngineProbe | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  watch(probe: EngineProbe): void {
    this.probe = probe;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.httpDuration.labels(method, route, String(status));
      this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  appended(events: number): void {
    this.appends.inc();
    this.appendedEvents.inc(events);
  }

  conflicted(): void {
    this.conflicts.inc();
  }

  groupCommitted(appends: number, commitSeconds: number): void {
    this.batchSize.observe(appends);
    this.fsync.observe(commitSeconds);
  }

  deliveryAttempted(outcome: DeliveryOutcome, seconds: number): void {
    this.deliveryAttempts.labels(outcome).inc();
    this.deliveryDuration.labels(outcome).observe(seconds);
  }

  expiriesRecorded(count: number): void {
    this.expiries.inc(count);
  }

  storeNotification(store: string, outcome: string): void {
    this.storeNotifications.labels(store, outcome).inc();
  }

  watchBackups(stateFile: string | null): void {
    this.backupStateFile = stateFile;
  }

  watchUnattributed(count: () => Promise<ReadonlyMap<string, number>>): void {
    this.waiting = count;
  }

  /** The text exposition; gauges that ask the engine are read now, once per scrape. */
  async scrape(): Promise<string> {
    const probe = this.probe;
    if (probe) {
      // A store that does not answer must not take the other metrics down with it.
      const lag = await probe.projectionLag().catch(() => []);
      for (const l of lag) {
        this.lagEvents.labels(l.projection).set(l.events);
        this.lagSeconds.labels(l.projection).set(l.seconds);
      }
      this.stoppedStreams.set(probe.stoppedStreams().length);
      try {
        const outbox = await probe.outbox();
        this.outboxPending.set(outbox.pending);
        this.outboxFailed.set(outbox.failed);
      } catch {
        /* the read models' database is closed or busy: keep the last values */
      }
    }
    if (this.waiting) {
      const waiting = await this.waiting().catch(() => null);
      for (const [store, count] of waiting ?? []) this.unattributed.labels(store).set(count);
    }
    if (this.backupStateFile !== null) {
      const state = readBackupState(this.backupStateFile);
      this.lastBackup.set(state === null ? 0 : Date.parse(state.finished_at) / 1000);
      this.lastBackupHead.set(state?.head ?? 0);
    }
    return this.registry.metrics();
  }
}
