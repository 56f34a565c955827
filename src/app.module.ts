import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { DeclareAccessLevelHandler, GetCatalogueHandler, MapProductHandler } from './application/catalogue/catalogue.handlers';
import { CreateProfileHandler } from './application/create-profile/create-profile.handler';
import { DeleteProfileHandler } from './application/delete-profile/delete-profile.handler';
import { GetProfileHandler } from './application/get-profile/get-profile.handler';
import { GrantAccessHandler } from './application/grant-access/grant-access.handler';
import { RecordTransactionHandler } from './application/record-transaction/record-transaction.handler';
import { RevokeAccessHandler } from './application/revoke-access/revoke-access.handler';
import { UpdateProfileHandler } from './application/update-profile/update-profile.handler';
import { ApiKeyGuard } from './http/auth/api-key.guard';
import { CatalogueController } from './http/catalogue/catalogue.controller';
import { AdaptyExceptionFilter } from './http/errors/adapty-exception.filter';
import { ProfileController } from './http/profile/profile.controller';
import { PurchaseController } from './http/purchase/purchase.controller';
import { AdaptyValidationPipe } from './http/validation/adapty-validation.pipe';
import { GetProfileAsOfHandler, GetProfileHistoryHandler } from './application/profile-history/profile-history.handlers';
import { WebhookEndpointsController } from './http/webhooks/webhook-endpoints.controller';
import { WebhookDeliveriesController } from './http/webhooks/webhook-deliveries.controller';
import { ConsoleController } from './http/console/console.controller';
import { ListProfileDeliveriesHandler } from './application/profile-deliveries/profile-deliveries.handler';
import { V1ProfileController } from './http/v1/v1-profile.controller';
import { V1StripeController } from './http/v1/v1-stripe.controller';
import { ResolveV1ProfileHandler } from './application/v1/resolve-v1-profile.handler';
import type { LedgerRuntime } from './ledger-runtime';
import { AppStoreAdminController, AppStoreNotificationsController } from './http/stores/app-store.controller';
import { PlayStoreAdminController, PlayStoreNotificationsController } from './http/stores/play-store.controller';
import { StripeAdminController, StripeWebhooksController } from './http/stores/stripe.controller';
import {
  GetStripeSetupHandler,
  LinkStripeCustomerHandler,
  ListUnattributedStripeCustomersHandler,
  ReceiveStripeWebhookHandler,
  RemoveStripeSetupHandler,
  SaveStripeSetupHandler,
  ValidateStripePurchaseHandler,
} from './application/stripe/stripe.handlers';
import {
  GetPlayPurchaseHandler,
  GetPlayStoreSetupHandler,
  LinkPlayPurchaseHandler,
  ListUnattributedPlayPurchasesHandler,
  ReceivePlayStoreNotificationHandler,
  RemovePlayStoreSetupHandler,
  SavePlayStoreSetupHandler,
} from './application/play-store/play-store.handlers';
import {
  GetAppStoreChainHandler,
  GetAppStoreSetupHandler,
  LinkAppStoreTransactionHandler,
  ListUnattributedHandler,
  ReceiveAppStoreNotificationHandler,
  RemoveAppStoreSetupHandler,
  SaveAppStoreSetupHandler,
} from './application/app-store/app-store.handlers';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { HealthController } from './http/health/health.controller';
import { MetricsController } from './http/metrics/metrics.controller';
import { SHUTDOWN_STATE, ShutdownState } from './lifecycle/shutdown-state';
import { ENGINE_PROBE, EngineProbe } from './observability/engine-probe';
import { Metrics } from './observability/metrics';
import {
  CreateWebhookEndpointHandler,
  DeleteWebhookEndpointHandler,
  GetWebhookEndpointHandler,
  ListDeliveriesHandler,
  ListWebhookEndpointsHandler,
  RedeliverHandler,
  RotateWebhookSecretHandler,
  UpdateWebhookEndpointHandler,
} from './application/webhook-endpoints/webhook-endpoint.handlers';

const HANDLERS = [
  CreateProfileHandler,
  UpdateProfileHandler,
  DeleteProfileHandler,
  GetProfileHandler,
  RecordTransactionHandler,
  GrantAccessHandler,
  RevokeAccessHandler,
  DeclareAccessLevelHandler,
  MapProductHandler,
  GetCatalogueHandler,
  CreateWebhookEndpointHandler,
  UpdateWebhookEndpointHandler,
  DeleteWebhookEndpointHandler,
  RotateWebhookSecretHandler,
  RedeliverHandler,
  ListWebhookEndpointsHandler,
  GetWebhookEndpointHandler,
  ListDeliveriesHandler,
  ListProfileDeliveriesHandler,
  GetProfileHistoryHandler,
  GetProfileAsOfHandler,
  ResolveV1ProfileHandler,
  SaveAppStoreSetupHandler,
  RemoveAppStoreSetupHandler,
  GetAppStoreSetupHandler,
  ReceiveAppStoreNotificationHandler,
  LinkAppStoreTransactionHandler,
  ListUnattributedHandler,
  GetAppStoreChainHandler,
  SavePlayStoreSetupHandler,
  RemovePlayStoreSetupHandler,
  GetPlayStoreSetupHandler,
  ReceivePlayStoreNotificationHandler,
  LinkPlayPurchaseHandler,
  ListUnattributedPlayPurchasesHandler,
  GetPlayPurchaseHandler,
  SaveStripeSetupHandler,
  RemoveStripeSetupHandler,
  GetStripeSetupHandler,
  ReceiveStripeWebhookHandler,
  LinkStripeCustomerHandler,
  ListUnattributedStripeCustomersHandler,
  ValidateStripePurchaseHandler,
];

/** How long webhook requests in flight at shutdown may take before their leases are given up. */
const DELIVERY_GRACE_MS = 2000;

/** Runs after the HTTP server has closed (every accepted request answered): background work, then the stores. */
class LedgerLifecycle implements OnApplicationShutdown {
  constructor(private readonly runtime: LedgerRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close(DELIVERY_GRACE_MS);
  }
}

export interface AppParts {
  runtime: LedgerRuntime;
  /** null when METRICS_ENABLED=0 (no /metrics route). */
  metrics: Metrics | null;
  probe: EngineProbe;
  shutdown: ShutdownState;
  logger: Pino;
}

@Module({})
export class AppModule {
  /** The ledger's parts are built (store and projection thread started) before Nest wires anything. */
  static forRoot({ runtime, metrics, probe, shutdown, logger }: AppParts): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        // Failed checks are answered with their reasons; logging each failed probe would only repeat them.
        TerminusModule.forRoot({ logger: false }),
        // Nest logs through the one pino instance Fastify also uses. No per-request middleware: its
        // AsyncLocalStorage would put promise hooks on every request; request-scoped lines use request.log.
        LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] }),
      ],
      controllers: [
        ProfileController,
        PurchaseController,
        CatalogueController,
        WebhookEndpointsController,
        WebhookDeliveriesController,
        V1ProfileController,
        V1StripeController,
        ConsoleController,
        AppStoreAdminController,
        AppStoreNotificationsController,
        PlayStoreAdminController,
        PlayStoreNotificationsController,
        StripeAdminController,
        StripeWebhooksController,
        HealthController,
        ...(metrics ? [MetricsController] : []),
      ],
      providers: [
        ...runtime.providers,
        { provide: ENGINE_PROBE, useValue: probe },
        { provide: SHUTDOWN_STATE, useValue: shutdown },
        ...(metrics ? [{ provide: Metrics, useValue: metrics }] : []),
        { provide: LedgerLifecycle, useFactory: () => new LedgerLifecycle(runtime) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_PIPE, useClass: AdaptyValidationPipe },
        { provide: APP_FILTER, useClass: AdaptyExceptionFilter },
        ...HANDLERS,
      ],
    };
  }
}
