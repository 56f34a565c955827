import { IntakeMetrics } from './application/shared/store-ports';
import { AppStoreChains } from './application/app-store/app-store-chains';
import { AppStoreIntake } from './application/app-store/app-store-intake';
import { AppStoreChainRepository, AppStoreSetupRepository } from './application/app-store/app-store-repositories';
import { CommandContext } from './application/shared/command-context';
import { RepositoryOptions } from './application/shared/event-sourced-repository';
import { ProfileDecisions } from './application/shared/profile-decisions';
import { CatalogueRepository, ProfileRepository } from './application/shared/repositories';
import { LedgerConfig } from './config/config';
import { evolveAppStoreChain, initialAppStoreChain } from './domain/app-store/app-store-chain';
import { evolveAppStoreSetup, initialAppStoreSetup } from './domain/app-store/app-store-setup';
import { EventStore } from './event-store/event-store.port';
import { StoreIntakeStats } from './projections/store-intake/store-intake-stats';
import { AppleNotificationVerifier } from './stores/app-store/apple-verifier';

export interface AppStoreParts {
  setups: AppStoreSetupRepository;
  chains: AppStoreChains;
  intake: AppStoreIntake;
}

/** The App Store intake over the ledger's own repositories (the server's, or the command line's). */
export function appStoreParts(deps: {
  store: EventStore;
  config: LedgerConfig;
  context: CommandContext;
  profiles: ProfileRepository;
  catalogues: CatalogueRepository;
  decisions: ProfileDecisions;
  stats: StoreIntakeStats;
  metrics: IntakeMetrics | null;
  afterAppend?: RepositoryOptions<unknown, never>['afterAppend'];
}): AppStoreParts {
  const { store, config, context } = deps;
  const setups = new AppStoreSetupRepository(store, context.clock, { initial: initialAppStoreSetup, evolve: evolveAppStoreSetup, afterAppend: deps.afterAppend, cacheSize: 1_000 });
  const chainStreams = new AppStoreChainRepository(store, context.clock, { initial: initialAppStoreChain, evolve: evolveAppStoreChain, afterAppend: deps.afterAppend, cacheSize: 10_000 });
  const chains = new AppStoreChains(chainStreams, setups, deps.profiles, deps.catalogues, deps.decisions, context);
  const verifier = new AppleNotificationVerifier({ extraRoots: config.appStoreExtraRoots, onlineChecks: config.appStoreOnlineChecks });
  const intake = new AppStoreIntake(setups, chains, verifier, deps.stats, context, deps.metrics);
  return { setups, chains, intake };
}
