import { PlayStoreBackfill } from './application/play-store/play-store-backfill';
import { PlayStoreIntake } from './application/play-store/play-store-intake';
import { PlayStorePurchases } from './application/play-store/play-store-purchases';
import { PlayPurchaseRepository, PlayStoreSetupRepository } from './application/play-store/play-store-repositories';
import { evolvePlayPurchase, initialPlayPurchase } from './domain/play-store/play-purchase';
import { evolvePlayStoreSetup, initialPlayStoreSetup } from './domain/play-store/play-setup';
import { PLAY_STORE } from './domain/play-store/play-notification';
import { outcomesOf, StoreIntakeDeps, streamOptions } from './store-intake.composition';
import { GooglePushVerifier } from './stores/play-store/google-push-verifier';
import { GooglePlayDeveloperApi } from './stores/play-store/play-developer-api';

export interface PlayStoreParts {
  setups: PlayStoreSetupRepository;
  purchases: PlayStorePurchases;
  intake: PlayStoreIntake;
  backfill: PlayStoreBackfill;
}

/** The Google Play intake over the ledger's own repositories (the server's, or the command line's). */
export function playStoreParts(deps: StoreIntakeDeps): PlayStoreParts {
  const { store, config, context } = deps;
  const options = streamOptions(deps);
  const setups = new PlayStoreSetupRepository(store, context.clock, options(initialPlayStoreSetup, evolvePlayStoreSetup, 1_000));
  const tokens = new PlayPurchaseRepository(store, context.clock, options(initialPlayPurchase, evolvePlayPurchase, 10_000));
  const purchases = new PlayStorePurchases(tokens, setups, deps.profiles, deps.catalogues, deps.decisions, context);
  const api = new GooglePlayDeveloperApi(config.playApiRootUrl);
  const intake = new PlayStoreIntake(setups, purchases, deps.secrets, api, new GooglePushVerifier(config.playPushCertsUrl), outcomesOf(deps, PLAY_STORE), context);
  return { setups, purchases, intake, backfill: new PlayStoreBackfill(intake, purchases, api, context) };
}
