import type Database from 'better-sqlite3';

export interface DeliveryView {
  id: string;
  endpoint_id: string;
  profile_id: string;
  profile_sequence: number;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

interface Row {
  id: string;
  endpoint_id: string;
  profile_id: string;
  profile_sequence: number;
  event_type: string;
  status: DeliveryView['status'];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  next_attempt_at: number;
  delivered_at: number | null;
  created_at: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const view = (r: Row): DeliveryView => ({
  id: r.id,
  endpoint_id: r.endpoint_id,
  profile_id: r.profile_id,
  profile_sequence: r.profile_sequence,
  event_type: r.event_type,
  status: r.status,
  attempts: r.attempts,
  last_response_status: r.last_status,
  last_error: r.last_error,
  last_attempt_at: iso(r.last_attempt_at),
  next_attempt_at: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  delivered_at: iso(r.delivered_at),
  created_at: iso(r.created_at)!,
});

/** What an app's admin may see and do with its outbox. */
export class OutboxAdmin {
  private readonly list: Database.Statement<[string, string, number], Row>;
  private readonly redeliverStmt: Database.Statement<[number, string, string]>;
  private readonly one: Database.Statement<[string, string], Row>;
  private readonly pending: Database.Statement<[], number>;
  private readonly failed: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    const columns =
      'id, endpoint_id, profile_id, profile_sequence, event_type, status, attempts, last_status, last_error, last_attempt_at, next_attempt_at, delivered_at, created_at';
    this.list = db.prepare(`SELECT ${columns} FROM webhook_deliveries WHERE app_id = ? AND endpoint_id = ? ORDER BY seq DESC LIMIT ?`);
    this.one = db.prepare(`SELECT ${columns} FROM webhook_deliveries WHERE app_id = ? AND id = ?`);
    this.redeliverStmt = db.prepare(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL
       WHERE app_id = ? AND id = ? AND status != 'pending'`,
    );
    // Both counts read partial indexes (pending, failed), never the delivered history.
    this.pending = db.prepare<[], number>(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).pluck();
    this.failed = db.prepare<[], number>(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'`).pluck();
  }

  /** Deliveries waiting to be sent (or retried) and deliveries that used up their attempts, across apps. */
  counts(): { pending: number; failed: number } {
    return { pending: this.pending.get()!, failed: this.failed.get()! };
  }

  deliveries(appId: string, endpointId: string, limit: number): DeliveryView[] {
    return this.list.all(appId, endpointId, limit).map(view);
  }

  /** Queues a delivered or failed delivery again (same webhook-id); a pending one is left as it is. */
  redeliver(appId: string, deliveryId: string, nowMs: number): DeliveryView | null {
    this.redeliverStmt.run(nowMs, appId, deliveryId);
    const row = this.one.get(appId, deliveryId);
    return row ? view(row) : null;
  }
}
