import { CommandContext } from '../application/shared/command-context';
import { ProfileDecisions } from '../application/shared/profile-decisions';
import { CatalogueRepository, ProfileRepository, ReservationRepository } from '../application/shared/repositories';
import { LedgerConfig } from '../config/config';
import { evolveCatalogue, initialCatalogue } from '../domain/catalogue/catalogue';
import { evolveReservation, initialReservation } from '../domain/profile/customer-user-id';
import { evolve, initialProfileState } from '../domain/profile/profile.state';
import { systemClock } from '../domain/shared/clock';
import { randomIds } from '../domain/shared/uuid';
import { EventStore } from '../event-store/event-store.port';
import { openStoreIntakeStats } from '../projections/store-intake/store-intake-stats';
import { openStoreSecrets } from '../projections/store-intake/store-secrets';
import { readModelLocationOf } from '../store-options';
import { StoreIntakeDeps } from '../store-intake.composition';

/** A store intake's needs that the command line opens itself. */
export type StoreCliParts = Omit<StoreIntakeDeps, 'store' | 'config' | 'metrics' | 'afterAppend'>;

/** What a store intake needs from the ledger, for a command line beside (or instead of) a running server: `run` gets it, then it is closed. */
export async function withStoreParts<T>(store: EventStore, config: LedgerConfig, run: (parts: StoreCliParts) => Promise<T>): Promise<T> {
  const context = new CommandContext(systemClock, randomIds);
  const profiles = new ProfileRepository(store, systemClock, { initial: initialProfileState, evolve });
  const catalogues = new CatalogueRepository(store, systemClock, { initial: initialCatalogue, evolve: evolveCatalogue });
  const reservations = new ReservationRepository(store, systemClock, { initial: initialReservation, evolve: evolveReservation });
  const decisions = new ProfileDecisions(profiles, reservations, catalogues, context);
  const stats = await openStoreIntakeStats(readModelLocationOf(config));
  const secrets = await openStoreSecrets(readModelLocationOf(config));
  try {
    return await run({ context, profiles, reservations, catalogues, decisions, stats, secrets });
  } finally {
    await stats.close();
    await secrets.close();
  }
}
