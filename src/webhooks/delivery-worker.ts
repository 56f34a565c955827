import type Database from 'better-sqlite3';
import { Clock } from '../domain/shared/clock';
import { DeliveryOutcome, EngineMetrics, NO_METRICS } from '../observability/engine-metrics';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { delayBeforeAttempt } from './retry-schedule';
import { sendWebhook, SendOutcome } from './webhook-sender';

export interface DeliveryWorkerOptions {
  retrySchedule: number[];
  pollMs: number;
  /** In-flight requests per endpoint: a slow endpoint fills its own budget, not the others'. */
  perEndpointConcurrency: number;
  batch: number;
  /** How long a claimed delivery stays reserved for this process (longer than the 10 s timeout). */
  leaseMs: number;
}

interface DueRow {
  seq: number;
  id: string;
  endpoint_id: string;
  app_id: string;
  payload: string;
  attempts: number;
  endpoint: string;
}

interface Outcome {
  row: DueRow;
  result: SendOutcome;
  at: number;
  /** How long the subscriber took to answer. */
  seconds: number;
}

/**
 * Sends the outbox. Deliveries are claimed with a lease inside a write transaction, so
 * processes sharing the database send each delivery once. A profile's deliveries to one
 * endpoint go one at a time in sequence order; one waiting for a retry no longer holds up
 * those behind it.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  /** Deliveries this process holds a lease on and has not recorded an outcome for yet. */
  private readonly leased = new Set<number>();
  private released = false;
  private outcomes: Outcome[] = [];
  private flushScheduled = false;
  private readonly st: ReturnType<DeliveryWorker['prepare']>;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
    private readonly onGone: (appId: string, endpointId: string) => void,
    private readonly onError: (e: unknown) => void,
    private readonly metrics: EngineMetrics = NO_METRICS,
  ) {
    this.st = this.prepare();
  }

  private prepare() {
    return {
      due: this.db.prepare<{ now: number; limit: number }, DueRow>(`
        SELECT d.seq, d.id, d.endpoint_id, d.app_id, d.payload, d.attempts, e.endpoint
        FROM webhook_deliveries d INDEXED BY webhook_deliveries_pending JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.lease_until IS NULL OR d.lease_until < @now)
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
            WHERE p.endpoint_id = d.endpoint_id AND p.profile_id = d.profile_id AND p.status = 'pending' AND p.seq < d.seq
              AND (p.attempts = 0 OR (p.lease_until IS NOT NULL AND p.lease_until >= @now)))
        ORDER BY d.seq LIMIT @limit`),
      claim: this.db.prepare(
        `UPDATE webhook_deliveries SET lease_until = ? WHERE seq = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)`,
      ),
      delivered: this.db.prepare(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL,
           last_attempt_at = ?, delivered_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      retry: this.db.prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, last_attempt_at = ?,
           next_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      failed: this.db.prepare(
        `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      release: this.db.prepare(`UPDATE webhook_deliveries SET lease_until = NULL WHERE seq = ? AND status = 'pending'`),
    };
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * Stops claiming, gives the requests in flight up to `graceMs` to be answered and records their
   * outcomes, then gives up the leases of those still unanswered: another process sends them at
   * once instead of waiting for the lease to lapse (the subscriber may see such a delivery twice;
   * delivery is at-least-once, deduplicated on webhook-id).
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = Number.isFinite(graceMs) ? new Promise<void>((r) => (timer = setTimeout(r, graceMs))) : new Promise<void>(() => undefined);
    await Promise.race([Promise.allSettled([...this.pending]), grace]);
    clearTimeout(timer);
    this.flush();
    this.releaseLeases();
  }

  private releaseLeases(): void {
    this.released = true;
    if (this.leased.size === 0 || !this.db.open) return;
    const seqs = [...this.leased];
    this.leased.clear();
    this.db.transaction(() => seqs.forEach((seq) => this.st.release.run(seq))).immediate();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    setImmediate(() => {
      try {
        this.tick();
      } catch (e) {
        this.onError(e);
      } finally {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      }
    });
  }

  private tick(): void {
    const now = this.clock.now().getTime();
    const rows = this.st.due.all({ now, limit: this.options.batch });
    if (rows.length === 0) return;
    const claimed: Array<{ row: DueRow; endpoint: WebhookEndpoint }> = [];
    const planned = new Map(this.inFlight);
    this.db
      .transaction(() => {
        const parsed = new Map<string, WebhookEndpoint>();
        for (const row of rows) {
          const endpoint = parsed.get(row.endpoint_id) ?? (JSON.parse(row.endpoint) as WebhookEndpoint);
          parsed.set(row.endpoint_id, endpoint);
          if (!endpoint.enabled) continue;
          const busy = planned.get(row.endpoint_id) ?? 0;
          if (busy >= this.options.perEndpointConcurrency) continue;
          if (this.st.claim.run(now + this.options.leaseMs, row.seq, now).changes === 1) {
            planned.set(row.endpoint_id, busy + 1);
            claimed.push({ row, endpoint });
          }
        }
      })
      .immediate();
    for (const { row, endpoint } of claimed) this.dispatch(row, endpoint);
  }

  private dispatch(row: DueRow, endpoint: WebhookEndpoint): void {
    this.inFlight.set(row.endpoint_id, (this.inFlight.get(row.endpoint_id) ?? 0) + 1);
    this.leased.add(row.seq);
    const started = performance.now();
    const job = sendWebhook(endpoint, row.id, row.payload, this.clock.now())
      .then((result) => {
        // After stop() gave the lease up, the outcome belongs to whichever process sends it next.
        if (this.released) return;
        this.leased.delete(row.seq);
        this.outcomes.push({ row, result, at: this.clock.now().getTime(), seconds: (performance.now() - started) / 1000 });
        this.scheduleFlush();
      })
      .catch(this.onError)
      .finally(() => {
        this.inFlight.set(row.endpoint_id, (this.inFlight.get(row.endpoint_id) ?? 1) - 1);
        this.pending.delete(job);
      });
    this.pending.add(job);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      try {
        this.flush();
      } catch (e) {
        this.onError(e);
      }
      this.wake();
    });
  }

  /** Outcomes are written together: one transaction for every response that came back meanwhile. */
  private flush(): void {
    const batch = this.outcomes;
    this.outcomes = [];
    if (batch.length === 0 || !this.db.open) return;
    const gone: Array<{ appId: string; endpointId: string }> = [];
    const outcomeLabels: DeliveryOutcome[] = [];
    this.db
      .transaction(() => {
        for (const { row, result, at } of batch) outcomeLabels.push(this.record(row, result, at, gone));
      })
      .immediate();
    batch.forEach((o, i) => this.metrics.deliveryAttempted(outcomeLabels[i], o.seconds));
    for (const g of gone) this.onGone(g.appId, g.endpointId);
  }

  private record(row: DueRow, result: SendOutcome, at: number, gone: Array<{ appId: string; endpointId: string }>): DeliveryOutcome {
    if (result.ok) {
      this.st.delivered.run(result.status, at, at, row.seq);
      return 'delivered';
    }
    if (result.status === 410) {
      this.st.failed.run(410, 'endpoint answered 410 Gone: disabled', at, row.seq);
      gone.push({ appId: row.app_id, endpointId: row.endpoint_id });
      return 'gone';
    }
    const error = result.error ?? `HTTP ${result.status}`;
    const delay = delayBeforeAttempt(this.options.retrySchedule, row.attempts + 1);
    if (delay === null) {
      this.st.failed.run(result.status, error, at, row.seq);
      return 'failed';
    }
    this.st.retry.run(result.status, error, at, at + delay, row.seq);
    return 'retry';
  }
}
