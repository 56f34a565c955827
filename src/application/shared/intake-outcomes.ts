import { Clock } from '../../domain/shared/clock';
import { StoreIntakeStats } from '../../projections/store-intake/store-intake-stats';
import { IntakeMetrics } from './store-ports';

/**
 * What became of each call at one store's door. An outcome that concerns the app (recorded or
 * refused) is counted for its setup view and in the metrics; one that does not (the app has no setup,
 * or the check could not run now) only in the metrics.
 */
export class IntakeOutcomes {
  constructor(
    readonly store: string,
    private readonly stats: StoreIntakeStats,
    private readonly clock: Clock,
    private readonly metrics: IntakeMetrics | null,
  ) {}

  async count(appId: string, outcome: string): Promise<void> {
    this.metrics?.storeNotification(this.store, outcome);
    await this.stats.count(appId, this.store, outcome, this.clock.now().getTime());
  }

  passing(outcome: 'not_configured' | 'unavailable'): void {
    this.metrics?.storeNotification(this.store, outcome);
  }
}

export interface OutcomeCounts {
  /** Every recorded outcome (0 when never seen), then `refused` by reason. */
  counts: Record<string, number | Record<string, number>>;
  /** When a call was last recorded (any recorded outcome). */
  last_at: string | null;
}

/** An app's counts at one store's door, as its setup view shows them. */
export async function outcomeCounts(stats: StoreIntakeStats, appId: string, store: string, recorded: readonly string[]): Promise<OutcomeCounts> {
  const counts = new Map<string, number>(recorded.map((o) => [o, 0]));
  const refused = new Map<string, number>();
  let last: number | null = null;
  for (const c of await stats.counts(appId, store)) {
    if (c.outcome.startsWith('refused_')) refused.set(c.outcome.slice('refused_'.length), c.count);
    else if (counts.has(c.outcome)) counts.set(c.outcome, c.count);
    if (counts.has(c.outcome) && (last === null || c.last_at > last)) last = c.last_at;
  }
  return { counts: { ...Object.fromEntries(counts), refused: Object.fromEntries(refused) }, last_at: last === null ? null : new Date(last).toISOString() };
}
