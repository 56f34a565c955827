import { AppStoreChains } from './application/app-store/app-store-chains';
import { AppStoreIntake } from './application/app-store/app-store-intake';
import { AppStoreChainRepository, AppStoreSetupRepository } from './application/app-store/app-store-repositories';
import { evolveAppStoreChain, initialAppStoreChain } from './domain/app-store/app-store-chain';
import { evolveAppStoreSetup, initialAppStoreSetup } from './domain/app-store/app-store-setup';
import { APP_STORE } from './domain/app-store/app-store-sync';
import { outcomesOf, StoreIntakeDeps, streamOptions } from './store-intake.composition';
import { AppleNotificationVerifier } from './stores/app-store/apple-verifier';

export interface AppStoreParts {
  setups: AppStoreSetupRepository;
  chains: AppStoreChains;
  intake: AppStoreIntake;
}

/** The App Store intake over the ledger's own repositories (the server's, or the command line's). */
export function appStoreParts(deps: StoreIntakeDeps): AppStoreParts {
  const { store, config, context } = deps;
  const options = streamOptions(deps);
  const setups = new AppStoreSetupRepository(store, context.clock, options(initialAppStoreSetup, evolveAppStoreSetup, 1_000));
  const chainStreams = new AppStoreChainRepository(store, context.clock, options(initialAppStoreChain, evolveAppStoreChain, 10_000));
  const chains = new AppStoreChains(chainStreams, setups, deps.profiles, deps.catalogues, deps.decisions, context);
  const verifier = new AppleNotificationVerifier({ extraRoots: config.appStoreExtraRoots, onlineChecks: config.appStoreOnlineChecks });
  const intake = new AppStoreIntake(setups, chains, verifier, outcomesOf(deps, APP_STORE), context);
  return { setups, chains, intake };
}
