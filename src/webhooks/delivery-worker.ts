import { Clock } from '../domain/shared/clock';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { ProjectionEngine } from '../projections/engine/projection-engine';
import { AttemptRecord, ReadModelReader, ReadyDelivery } from '../projections/read-model-store.port';
import { EngineMetrics, NO_METRICS } from '../observability/engine-metrics';
import { DeliveryOutcome, settleAttempt, statusAfter } from './delivery-outcome';
import { sendWebhook, SendOutcome } from './webhook-sender';

/** One settled attempt, for logs and metrics (`outcome` is the label to count by). */
export interface AttemptReport {
  outcome: DeliveryOutcome;
  appId: string;
  endpointId: string;
  deliveryId: string;
  status: number | null;
  error: string | null;
  /** How long the subscriber took to answer (or to fail). */
  seconds: number;
}

export interface DeliveryWorkerOptions {
  retrySchedule: number[];
  /** How often the outbox is read for work this process was not told about (retries, other processes' deliveries, lapsed leases). */
  pollMs: number;
  /** In-flight requests per endpoint: a slow endpoint fills its own budget, not the others'. */
  perEndpointConcurrency: number;
  /** Deliveries claimed per round. */
  batch: number;
  /** How long a claimed delivery stays reserved for this process (longer than the 10 s timeout). */
  leaseMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: deliveries may go to loopback, private and link-local addresses. */
  allowPrivateAddresses: boolean;
  /** Told about every settled attempt, after its outcome is committed. */
  onAttempt?: (report: AttemptReport) => void;
}

interface Settled {
  delivery: ReadyDelivery;
  answer: SendOutcome;
  at: number;
  /** How long the subscriber took to answer (or to fail). */
  seconds: number;
}

/**
 * Sends the outbox from an in-memory ready queue. The projection thread hands over each delivery
 * it enqueues, right after the commit; a poll of the outbox brings in the rest. Before a send the
 * delivery is claimed with a lease (one round trip for a whole round), so processes sharing the
 * read models send each delivery once, and a process killed mid-send leaves its deliveries to
 * others once the lease lapses. A profile's deliveries to one endpoint go one at a time in
 * sequence order; one waiting for a retry does not hold up the rest.
 */
export class DeliveryWorker {
  /** Deliveries that may be ready, by outbox sequence (Maps iterate in insertion order: oldest first). */
  private readonly queue = new Map<number, ReadyDelivery>();
  private readonly inFlight = new Map<string, number>();
  private readonly busyPairs = new Set<string>();
  private readonly sending = new Set<Promise<void>>();
  /** Claimed by this process and not yet settled. */
  private readonly leased = new Set<number>();
  /** Set once stop() gave the unsettled leases up: their outcomes belong to whichever process sends them next. */
  private released = false;
  private settled: Settled[] = [];
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private polling = false;
  private again = false;
  private recording: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly engine: ProjectionEngine,
    private readonly outbox: ReadModelReader,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
    private readonly onGone: (appId: string, endpointId: string) => void,
    private readonly onError: (e: unknown) => void,
    private readonly metrics: EngineMetrics = NO_METRICS,
  ) {}

  start(): void {
    this.engine.onProgress(({ enqueued, touched }) => {
      // Another process moved the read models (a PostgreSQL notification, or a poll): it may have enqueued deliveries this one was not handed.
      if (touched === null) void this.poll();
      if (enqueued.length === 0) return;
      for (const d of enqueued) this.queue.set(d.seq, d);
      this.wake();
    });
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /**
   * Claims nothing more, gives the requests in flight up to `graceMs` to be answered and records
   * their outcomes, then gives up the leases of those still unanswered: another process sends them
   * at once instead of waiting for the lease to lapse (the subscriber may then see one twice;
   * delivery is at-least-once, deduplicated on webhook-id).
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = Number.isFinite(graceMs) ? new Promise<void>((r) => (timer = setTimeout(r, graceMs))) : new Promise<void>(() => undefined);
    await Promise.race([Promise.allSettled([...this.sending]), grace]);
    clearTimeout(timer);
    while (this.recording || this.settled.length > 0) await this.record();
    this.released = true;
    if (this.leased.size > 0) {
      const seqs = [...this.leased];
      this.leased.clear();
      await this.engine.call({ kind: 'release', seqs }).catch(this.onError);
    }
  }

  /** Deliveries were queued (by hand, or by the poll): look at once. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimRound()
      .catch(this.onError)
      .finally(() => {
        this.claiming = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      for (const d of await this.outbox.dueDeliveries(this.clock.now().getTime(), this.options.batch)) this.queue.set(d.seq, d);
    } catch (e) {
      this.onError(e);
    } finally {
      this.polling = false;
    }
    if (this.queue.size > 0) this.wake();
  }

  private async claimRound(): Promise<void> {
    while (!this.stopped) {
      const picked = this.pick();
      if (picked.length === 0) return;
      const now = this.clock.now().getTime();
      const claimed = new Set(await this.engine.call({ kind: 'claim', seqs: picked.map((d) => d.seq), now, leaseUntil: now + this.options.leaseMs }));
      const endpoints = new Map<string, WebhookEndpoint | null>();
      for (const d of picked) {
        this.queue.delete(d.seq);
        if (!claimed.has(d.seq)) continue;
        if (!endpoints.has(d.endpoint_id)) endpoints.set(d.endpoint_id, await this.outbox.endpoint(d.endpoint_id));
        const endpoint = endpoints.get(d.endpoint_id);
        if (!endpoint || !endpoint.enabled) {
          // Stays pending for an endpoint that is turned back on; the lease is given back.
          await this.engine.call({ kind: 'release', seqs: [d.seq] });
          continue;
        }
        this.dispatch(d, endpoint);
      }
    }
  }

  /** The oldest queued deliveries that may go now: within each endpoint's budget, one per (endpoint, profile). */
  private pick(): ReadyDelivery[] {
    const picked: ReadyDelivery[] = [];
    const planned = new Map(this.inFlight);
    const pairs = new Set(this.busyPairs);
    for (const d of this.queue.values()) {
      if (picked.length >= this.options.batch) break;
      const pair = `${d.endpoint_id}\u0000${d.profile_id}`;
      const busy = planned.get(d.endpoint_id) ?? 0;
      if (busy >= this.options.perEndpointConcurrency || pairs.has(pair)) continue;
      planned.set(d.endpoint_id, busy + 1);
      pairs.add(pair);
      picked.push(d);
    }
    return picked;
  }

  private dispatch(d: ReadyDelivery, endpoint: WebhookEndpoint): void {
    const pair = `${d.endpoint_id}\u0000${d.profile_id}`;
    this.inFlight.set(d.endpoint_id, (this.inFlight.get(d.endpoint_id) ?? 0) + 1);
    this.busyPairs.add(pair);
    this.leased.add(d.seq);
    const started = performance.now();
    const job = sendWebhook(endpoint, d.id, d.payload, this.clock.now(), { allowPrivateAddresses: this.options.allowPrivateAddresses })
      .then((answer) => {
        if (this.released) return;
        this.leased.delete(d.seq);
        this.settled.push({ delivery: d, answer, at: this.clock.now().getTime(), seconds: (performance.now() - started) / 1000 });
        void this.record();
      })
      .catch(this.onError)
      .finally(() => {
        this.inFlight.set(d.endpoint_id, (this.inFlight.get(d.endpoint_id) ?? 1) - 1);
        this.busyPairs.delete(pair);
        this.sending.delete(job);
      });
    this.sending.add(job);
  }

  /** Outcomes are written together: one round trip for every answer that came back meanwhile. */
  private record(): Promise<void> {
    if (this.recording) return this.recording;
    if (this.settled.length === 0) return Promise.resolve();
    this.recording = (async () => {
      while (this.settled.length > 0) {
        const batch = this.settled;
        this.settled = [];
        const reports: AttemptReport[] = [];
        const records: AttemptRecord[] = batch.map(({ delivery: d, answer, at, seconds }) => {
          const s = settleAttempt(answer, d.attempts, this.options.retrySchedule);
          reports.push({ outcome: s.outcome, appId: d.app_id, endpointId: d.endpoint_id, deliveryId: d.id, status: s.status, error: s.error, seconds });
          return {
            seq: d.seq,
            status: statusAfter(s.outcome),
            response_status: s.status,
            response_excerpt: s.excerpt,
            error: s.error,
            attempted_at: at,
            next_attempt_at: s.outcome === 'retry' ? at + s.retryInMs! : null,
          };
        });
        try {
          await this.engine.call({ kind: 'record', records });
        } catch (e) {
          this.onError(e);
          continue;
        }
        for (const r of reports) {
          this.metrics.deliveryAttempted(r.outcome, r.seconds);
          if (r.outcome === 'gone') this.onGone(r.appId, r.endpointId);
          this.options.onAttempt?.(r);
        }
      }
    })().finally(() => {
      this.recording = null;
      this.wake();
    });
    return this.recording;
  }
}
