import type Database from 'better-sqlite3';
import { Clock } from '../domain/shared/clock';
import { WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
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
}

export interface DeliveryWorkerOptions {
  retrySchedule: number[];
  pollMs: number;
  /** In-flight requests per endpoint: a slow endpoint fills its own budget, not the others'. */
  perEndpointConcurrency: number;
  batch: number;
  /** How long a claimed delivery stays reserved for this process (longer than the 10 s timeout). */
  leaseMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: deliveries may go to loopback, private and link-local addresses. */
  allowPrivateAddresses: boolean;
  /** Told about every settled attempt, after its outcome is committed. */
  onAttempt?: (report: AttemptReport) => void;
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
  private outcomes: Outcome[] = [];
  private flushScheduled = false;
  private readonly st: ReturnType<DeliveryWorker['prepare']>;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    private readonly options: DeliveryWorkerOptions,
    private readonly onGone: (appId: string, endpointId: string) => void,
    private readonly onError: (e: unknown) => void,
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
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, last_response_excerpt = NULL,
           last_attempt_at = ?, delivered_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      retry: this.db.prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, last_response_excerpt = ?,
           last_attempt_at = ?, next_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
      ended: this.db.prepare(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?, last_response_excerpt = ?,
           last_attempt_at = ?, lease_until = NULL WHERE seq = ?`,
      ),
    };
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
    this.flush();
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
    const job = sendWebhook(endpoint, row.id, row.payload, this.clock.now(), { allowPrivateAddresses: this.options.allowPrivateAddresses })
      .then((result) => {
        this.outcomes.push({ row, result, at: this.clock.now().getTime() });
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
    const reports: AttemptReport[] = [];
    this.db
      .transaction(() => {
        for (const { row, result, at } of batch) {
          const settled = settleAttempt(result, row.attempts, this.options.retrySchedule);
          const { outcome, status, error, excerpt } = settled;
          if (outcome === 'delivered') this.st.delivered.run(status, at, at, row.seq);
          else if (outcome === 'retry') this.st.retry.run(status, error, excerpt, at, at + settled.retryInMs!, row.seq);
          else this.st.ended.run(statusAfter(outcome), status, error, excerpt, at, row.seq);
          reports.push({ outcome, appId: row.app_id, endpointId: row.endpoint_id, deliveryId: row.id, status, error });
        }
      })
      .immediate();
    for (const r of reports) {
      if (r.outcome === 'gone') this.onGone(r.appId, r.endpointId);
      this.options.onAttempt?.(r);
    }
  }
}
