import { IntakeOutcomes } from './application/shared/intake-outcomes';
import { CommandContext } from './application/shared/command-context';
import { RepositoryOptions } from './application/shared/event-sourced-repository';
import { ProfileDecisions } from './application/shared/profile-decisions';
import { CatalogueRepository, ProfileRepository, ReservationRepository } from './application/shared/repositories';
import { IntakeMetrics } from './application/shared/store-ports';
import { LedgerConfig } from './config/config';
import { EventStore } from './event-store/event-store.port';
import { StoreIntakeStats } from './projections/store-intake/store-intake-stats';
import { StoreSecrets } from './projections/store-intake/store-secrets';

/** What every store intake is built from: the ledger's own repositories (the server's, or the command line's), its counters and secrets. */
export interface StoreIntakeDeps {
  store: EventStore;
  config: LedgerConfig;
  context: CommandContext;
  profiles: ProfileRepository;
  reservations: ReservationRepository;
  catalogues: CatalogueRepository;
  decisions: ProfileDecisions;
  stats: StoreIntakeStats;
  secrets: StoreSecrets;
  metrics: IntakeMetrics | null;
  afterAppend?: RepositoryOptions<unknown, never>['afterAppend'];
}

/** Options of a store's streams: a cache of `cacheSize` states, and the projector woken after each append. */
export const streamOptions =
  (deps: StoreIntakeDeps) =>
  <S, E>(initial: () => S, evolve: (s: S, e: E) => S, cacheSize: number) => ({ initial, evolve, afterAppend: deps.afterAppend, cacheSize });

export const outcomesOf = (deps: StoreIntakeDeps, store: string): IntakeOutcomes => new IntakeOutcomes(store, deps.stats, deps.context.clock, deps.metrics);
