import { STORE_SECRETS, STORE_INTAKE_STATS } from './application/shared/store-ports';
import { Logger, Provider } from '@nestjs/common';
import { ProfileReader } from './application/get-profile/profile-reader';
import { ExpiryScheduler } from './application/record-expiries/expiry-scheduler';
import { CommandContext } from './application/shared/command-context';
import { RepositoryOptions } from './application/shared/event-sourced-repository';
import { ProfileDecisions } from './application/shared/profile-decisions';
import { ReadModelFreshness } from './application/shared/read-model-freshness';
import { CatalogueRepository, EndpointRepository, ProfileRepository, ReservationRepository } from './application/shared/repositories';
import { Outbox } from './application/webhook-deliveries/outbox';
import { EndpointDecisions } from './application/webhook-endpoints/endpoint-decisions';
import { CONFIG, LedgerConfig } from './config/config';
import { evolveCatalogue, initialCatalogue } from './domain/catalogue/catalogue';
import { evolveReservation, initialReservation } from './domain/profile/customer-user-id';
import { evolve, initialProfileState } from './domain/profile/profile.state';
import { Clock, CLOCK } from './domain/shared/clock';
import { IdGenerator } from './domain/shared/uuid';
import { disableEndpoint, endpointsStreamId, evolveEndpoints, initialEndpoints } from './domain/webhooks/webhook-endpoint';
import { createEventStore } from './event-store/event-store.factory';
import { EVENT_STORE, EventStore } from './event-store/event-store.port';
import { ProjectionEngine } from './projections/engine/projection-engine';
import { openReadModelReader } from './projections/read-model-store.factory';
import { eventStoreOptionsOf, readModelLocationOf } from './store-options';
import { ReadModelReader, StreamFailure } from './projections/read-model-store.port';
import { AttemptReport, DeliveryWorker } from './webhooks/delivery-worker';
import { EndpointVerifier } from './webhooks/endpoint-verification';
import { DELIVERY_TIMEOUT_MS } from './webhooks/webhook-sender';
import { EngineMetrics, NO_METRICS } from './observability/engine-metrics';
import { MeteredEventStore } from './observability/metered-event-store';
import { appStoreParts, AppStoreParts } from './app-store.composition';
import { AppStoreChains } from './application/app-store/app-store-chains';
import { AppStoreIntake } from './application/app-store/app-store-intake';
import { AppStoreSetupRepository } from './application/app-store/app-store-repositories';
import { appStoreSetupStreamId } from './domain/app-store/app-store-setup';
import { openStoreIntakeStats, StoreIntakeStats } from './projections/store-intake/store-intake-stats';
import { ClosableStoreSecrets, openStoreSecrets } from './projections/store-intake/store-secrets';
import { playStoreParts, PlayStoreParts } from './play-store.composition';
import { PlayStoreSetupRepository } from './application/play-store/play-store-repositories';
import { PlayStorePurchases } from './application/play-store/play-store-purchases';
import { PlayStoreIntake } from './application/play-store/play-store-intake';
import { playStoreSetupStreamId } from './domain/play-store/play-setup';
import { stripeParts, StripeParts } from './stripe.composition';
import { StripeSetupRepository } from './application/stripe/stripe-repositories';
import { StripeCustomers } from './application/stripe/stripe-customers';
import { StripeIntake } from './application/stripe/stripe-intake';
import { StripeValidation } from './application/stripe/stripe-validation';
import { stripeSetupStreamId } from './domain/stripe/stripe-setup';

/** How long a read waits for the read models to reach the log's head before answering 503. */
const FRESHNESS_TIMEOUT_MS = 10_000;

const deliveryLogger = new Logger('Webhooks');

/** A delivery that ends without being delivered is worth a line in the server log; retries are not. */
function logEndedDelivery(r: AttemptReport): void {
  if (r.outcome === 'delivered' || r.outcome === 'retry') return;
  deliveryLogger.warn(`delivery ${r.deliveryId} to endpoint ${r.endpointId} (app ${r.appId}) ${r.outcome}: ${r.error}`);
}

/**
 * The ledger's parts, built once and wired by hand (the composition root): the event store and its
 * writer thread, the projection thread, the narrow services the handlers inject, and the work that
 * runs without requests (webhook delivery, expiry scheduling).
 */
export class LedgerRuntime {
  private background: Array<{ stop(graceMs?: number): Promise<void> }> = [];

  private constructor(
    readonly config: LedgerConfig,
    readonly store: EventStore,
    readonly engine: ProjectionEngine,
    readonly readModels: ReadModelReader,
    readonly providers: Provider[],
    private readonly parts: {
      context: CommandContext;
      profiles: ProfileRepository;
      endpoints: EndpointRepository;
      freshness: ReadModelFreshness;
      outbox: Outbox;
      metrics: EngineMetrics;
      stats: StoreIntakeStats;
      appStore: AppStoreParts;
      playStore: PlayStoreParts;
      stripe: StripeParts;
      secrets: ClosableStoreSecrets;
    },
  ) {}

  static async open(config: LedgerConfig, clock: Clock, ids: IdGenerator, metrics: EngineMetrics = NO_METRICS): Promise<LedgerRuntime> {
    const adapter = await createEventStore({
      ...eventStoreOptionsOf(config),
      onGroupCommit: (appends, commitMs) => metrics.groupCommitted(appends, commitMs / 1000),
    });
    const store = metrics === NO_METRICS ? adapter : new MeteredEventStore(adapter, metrics);
    let engine: ProjectionEngine;
    try {
      engine = await ProjectionEngine.start({
        eventStore: eventStoreOptionsOf(config),
        readModels: readModelLocationOf(config),
        batch: 2000,
        foldCacheSize: 10_000,
        pollMs: config.projectionPollMs,
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    const readModels = await openReadModelReader(readModelLocationOf(config));
    // A stopped stream is every operator's business: logged when it stops, and at every start while it stays stopped.
    const projectionLogger = new Logger('Projections');
    const logStopped = (f: StreamFailure) =>
      projectionLogger.error(`stream ${f.stream_id} stopped at position ${f.position} (${f.event_type}): ${f.error}; reads of it answer 503 until a fix and \`ledger rebuild\``);
    engine.stopped.forEach(logStopped);
    engine.onProgress(({ stopped }) => stopped.forEach(logStopped));
    const stats = await openStoreIntakeStats(readModelLocationOf(config));
    const secrets = await openStoreSecrets(readModelLocationOf(config));
    const context = new CommandContext(clock, ids);
    const repository = <S, E>(options: Omit<RepositoryOptions<S, E>, 'afterAppend'>) => ({
      ...options,
      // A write reaches the read models at once instead of at the next poll.
      afterAppend: () => engine.wake(),
    });
    const profiles = new ProfileRepository(store, clock, repository({ initial: initialProfileState, evolve }));
    const catalogues = new CatalogueRepository(store, clock, repository({ initial: initialCatalogue, evolve: evolveCatalogue }));
    const reservations = new ReservationRepository(store, clock, repository({ initial: initialReservation, evolve: evolveReservation }));
    const endpoints = new EndpointRepository(store, clock, repository({ initial: initialEndpoints, evolve: evolveEndpoints }));
    const freshness = new ReadModelFreshness(store, engine, FRESHNESS_TIMEOUT_MS);
    const outbox = new Outbox(engine, readModels, freshness, clock);
    const decisions = new ProfileDecisions(profiles, reservations, catalogues, context);
    const intakeDeps = { store, config, context, profiles, reservations, catalogues, decisions, stats, secrets, metrics, afterAppend: () => engine.wake() };
    const appStore = appStoreParts(intakeDeps);
    const playStore = playStoreParts(intakeDeps);
    const stripe = stripeParts(intakeDeps);
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
      { provide: EVENT_STORE, useValue: store },
      { provide: CommandContext, useValue: context },
      { provide: ProfileRepository, useValue: profiles },
      { provide: CatalogueRepository, useValue: catalogues },
      { provide: ReservationRepository, useValue: reservations },
      { provide: EndpointRepository, useValue: endpoints },
      { provide: ProfileDecisions, useValue: decisions },
      { provide: ProfileReader, useValue: new ProfileReader(readModels, freshness, engine) },
      { provide: Outbox, useValue: outbox },
      { provide: EndpointDecisions, useValue: new EndpointDecisions(endpoints, engine, context) },
      { provide: EndpointVerifier, useValue: new EndpointVerifier({ allowPrivateAddresses: config.webhookAllowPrivateUrls }) },
      { provide: STORE_INTAKE_STATS, useValue: stats },
      { provide: AppStoreSetupRepository, useValue: appStore.setups },
      { provide: AppStoreChains, useValue: appStore.chains },
      { provide: AppStoreIntake, useValue: appStore.intake },
      { provide: STORE_SECRETS, useValue: secrets },
      { provide: PlayStoreSetupRepository, useValue: playStore.setups },
      { provide: PlayStorePurchases, useValue: playStore.purchases },
      { provide: PlayStoreIntake, useValue: playStore.intake },
      { provide: StripeSetupRepository, useValue: stripe.setups },
      { provide: StripeCustomers, useValue: stripe.customers },
      { provide: StripeIntake, useValue: stripe.intake },
      { provide: StripeValidation, useValue: stripe.validation },
    ];
    return new LedgerRuntime(config, store, engine, readModels, providers, { context, profiles, endpoints, freshness, outbox, metrics, stats, appStore, playStore, stripe, secrets });
  }

  /** Store purchases waiting for a profile (App Store original transactions, Google Play tokens, Stripe customers), by store, across the configured apps (a gauge). */
  async unattributedWaiting(): Promise<ReadonlyMap<string, number>> {
    const waiting = new Map([
      ['app_store', 0],
      ['play_store', 0],
      ['stripe', 0],
    ]);
    const add = (store: string, n: number) => waiting.set(store, waiting.get(store)! + n);
    for (const { appId } of this.config.apiKeys) {
      add('app_store', (await this.parts.appStore.setups.load(appStoreSetupStreamId(appId))).state.unattributed.size);
      add('play_store', (await this.parts.playStore.setups.load(playStoreSetupStreamId(appId))).state.unattributed.size);
      add('stripe', (await this.parts.stripe.setups.load(stripeSetupStreamId(appId))).state.unattributed.size);
    }
    return waiting;
  }

  /** Webhook delivery and expiry scheduling. */
  startBackground(): void {
    const logger = new Logger('Background');
    const logError = (e: unknown) => logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    const { config, engine, readModels } = this;
    const { context, endpoints, profiles, freshness, outbox, metrics } = this.parts;
    const worker = new DeliveryWorker(
      engine,
      readModels,
      context.clock,
      {
        retrySchedule: config.webhookRetrySchedule,
        pollMs: config.webhookPollMs,
        perEndpointConcurrency: 32,
        batch: 256,
        leaseMs: DELIVERY_TIMEOUT_MS + 5_000,
        allowPrivateAddresses: config.webhookAllowPrivateUrls,
        onAttempt: logEndedDelivery,
      },
      (appId, endpointId) => {
        // 410 Gone: the subscriber asks us to stop; the endpoint is disabled through its stream, like any change.
        endpoints
          .execute(
            endpointsStreamId(appId),
            (s) => disableEndpoint(s, endpointId, 'endpoint answered 410 Gone'),
            context.metadata({ appId, source: 'webhooks.gone', commandId: `gone:${endpointId}` }),
          )
          .catch(logError);
      },
      logError,
      metrics,
    );
    outbox.onQueued(() => worker.wake());
    worker.start();
    const scheduler = new ExpiryScheduler(readModels, freshness, engine, profiles, context, (n) => metrics.expiriesRecorded(n));
    scheduler.start(config.expiryPollMs);
    this.background = [scheduler, worker];
  }

  /**
   * Stops the background work (webhook requests in flight get `deliveryGraceMs`, then their leases
   * are given back), lets the threads finish what they hold (pending appends commit), closes files.
   */
  async close(deliveryGraceMs = Number.POSITIVE_INFINITY): Promise<void> {
    for (const part of this.background) await part.stop(deliveryGraceMs);
    this.background = [];
    await this.engine.close();
    await this.readModels.close();
    await this.parts.stats.close();
    await this.parts.secrets.close();
    await this.store.close();
  }
}
