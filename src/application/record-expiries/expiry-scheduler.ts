import { Logger } from '@nestjs/common';
import { recordExpiries } from '../../domain/profile/expiry';
import { profileStreamId } from '../../domain/profile/profile.events';
import { EngineMetrics, NO_METRICS } from '../../observability/engine-metrics';
import { Ledger } from '../shared/ledger';

const BATCH = 200;

/**
 * Records expiries when they fall due, with no request: reads the expiry schedule (a read
 * model) and runs the idempotent recordExpiries decision on each due profile. Instances that
 * race are settled by the stream's expected revision: the loser re-decides and finds nothing due.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly logger = new Logger('ExpiryScheduler');

  constructor(
    private readonly ledger: Ledger,
    private readonly metrics: EngineMetrics = NO_METRICS,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.runDue()
        .catch((e) => this.logger.error(e instanceof Error ? e.message : String(e)))
        .finally(() => {
          this.running = null;
        });
    }
    return this.running;
  }

  private async runDue(): Promise<void> {
    const { readModels } = this.ledger;
    for (;;) {
      await readModels.profileStatusRunner.catchUpToHead();
      const due = readModels.profileStatus.expirySchedule.due(this.ledger.clock.now().getTime(), BATCH);
      if (due.length === 0) return;
      let recorded = 0;
      for (const row of due) {
        const result = await this.ledger.profiles.execute(
          profileStreamId(row.profile_id),
          (s) => recordExpiries(s, this.ledger.context()),
          this.ledger.metadata({ appId: row.app_id, source: 'scheduler.expiry' }),
        );
        if (result.ok && result.position !== null) {
          recorded += 1;
          this.metrics.expiriesRecorded(result.appended);
          await readModels.profileStatusRunner.catchUpTo(result.position);
          this.ledger.afterWrite(result.position);
        }
      }
      // Rows that recorded nothing (e.g. a profile erased meanwhile) leave once the projection catches up.
      if (recorded === 0) return;
    }
  }
}
