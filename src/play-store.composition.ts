import { IntakeMetrics } from './application/shared/store-ports';
import { PlayStoreBackfill } from './application/play-store/play-store-backfill';
import { PlayStoreIntake } from './application/play-store/play-store-intake';
import { StoreSecrets } from './projections/store-intake/store-secrets';
import { PlayStorePurchases } from './application/play-store/play-store-purchases';
import { PlayPurchaseRepository, PlayStoreSetupRepository } from './application/play-store/play-store-repositories';
import { CommandContext } from './application/shared/command-context';
import { RepositoryOptions } from './application/shared/event-sourced-repository';
import { ProfileDecisions } from './application/shared/profile-decisions';
import { CatalogueRepository, ProfileRepository } from './application/shared/repositories';
import { LedgerConfig } from './config/config';
import { evolvePlayPurchase, initialPlayPurchase } from './domain/play-store/play-purchase';
import { evolvePlayStoreSetup, initialPlayStoreSetup } from './domain/play-store/play-setup';
import { EventStore } from './event-store/event-store.port';
import { StoreIntakeStats } from './projections/store-intake/store-intake-stats';
import { GooglePushVerifier } from './stores/play-store/google-push-verifier';
import { GooglePlayDeveloperApi } from './stores/play-store/play-developer-api';

export interface PlayStoreParts {
  setups: PlayStoreSetupRepository;
  purchases: PlayStorePurchases;
  intake: PlayStoreIntake;
  backfill: PlayStoreBackfill;
}

/** The Google Play intake over the ledger's own repositories (the server's, or the command line's). */
export function playStoreParts(deps: {
  store: EventStore;
  config: LedgerConfig;
  context: CommandContext;
  profiles: ProfileRepository;
  catalogues: CatalogueRepository;
  decisions: ProfileDecisions;
  stats: StoreIntakeStats;
  secrets: StoreSecrets;
  metrics: IntakeMetrics | null;
  afterAppend?: RepositoryOptions<unknown, never>['afterAppend'];
}): PlayStoreParts {
  const { store, config, context } = deps;
  const setups = new PlayStoreSetupRepository(store, context.clock, { initial: initialPlayStoreSetup, evolve: evolvePlayStoreSetup, afterAppend: deps.afterAppend, cacheSize: 1_000 });
  const tokens = new PlayPurchaseRepository(store, context.clock, { initial: initialPlayPurchase, evolve: evolvePlayPurchase, afterAppend: deps.afterAppend, cacheSize: 10_000 });
  const purchases = new PlayStorePurchases(tokens, setups, deps.profiles, deps.catalogues, deps.decisions, context);
  const api = new GooglePlayDeveloperApi(config.playApiRootUrl);
  const intake = new PlayStoreIntake(setups, purchases, deps.secrets, api, new GooglePushVerifier(config.playPushCertsUrl), deps.stats, context, deps.metrics);
  return { setups, purchases, intake, backfill: new PlayStoreBackfill(intake, purchases, api, context) };
}
