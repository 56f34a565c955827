import { Logger } from '@nestjs/common';
import { recordExpiries } from '../../domain/profile/expiry';
import { profileStreamId } from '../../domain/profile/profile.events';
import { ProjectionEngine } from '../../projections/engine/projection-engine';
import { ReadModelReader } from '../../projections/read-model-store.port';
import { CommandContext } from '../shared/command-context';
import { ReadModelFreshness } from '../shared/read-model-freshness';
import { ProfileRepository } from '../shared/repositories';

const BATCH = 200;
const WAIT_FOR_PROJECTION_MS = 10_000;

/**
 * Records expiries when they fall due, with no request: reads the expiry schedule (a read model)
 * and runs the idempotent recordExpiries decision on each due profile. Instances that race are
 * settled by the stream's expected revision, and the command id derived from (profile, due time)
 * gives both the same event ids: the loser re-decides and finds nothing due.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly logger = new Logger('ExpiryScheduler');

  constructor(
    private readonly schedule: ReadModelReader,
    private readonly freshness: ReadModelFreshness,
    private readonly engine: ProjectionEngine,
    private readonly profiles: ProfileRepository,
    private readonly context: CommandContext,
    private readonly onRecorded: (count: number) => void = () => undefined,
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
    for (;;) {
      if (await this.freshness.ensure()) return;
      const due = await this.schedule.dueExpiries(this.context.clock.now().getTime(), BATCH);
      if (due.length === 0) return;
      let last: bigint | null = null;
      for (const row of due) {
        const result = await this.profiles.execute(
          profileStreamId(row.profile_id),
          (s) => recordExpiries(s, this.context.decide()),
          this.context.metadata({ appId: row.app_id, source: 'scheduler.expiry', commandId: `expiry:${row.profile_id}:${row.due_at}` }),
        );
        if (result.ok && result.position !== null) {
          last = result.position;
          this.onRecorded(result.appended);
        }
      }
      // Rows that recorded nothing (e.g. a profile erased meanwhile) leave once the projection catches up.
      if (last === null) return;
      await this.engine.reach(last, WAIT_FOR_PROJECTION_MS);
    }
  }
}
