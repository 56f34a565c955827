import { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { ExpiryScheduler } from './application/record-expiries/expiry-scheduler';
import { Ledger } from './application/shared/ledger';
import { LedgerConfig } from './config/config';
import { Clock, systemClock } from './domain/shared/clock';
import { endpointsStreamId } from './domain/webhooks/webhook-endpoint';
import { createEventStore } from './event-store/event-store.factory';
import { ReadModels } from './projections/read-models';
import { DeliveryWorker } from './webhooks/delivery-worker';
import { DELIVERY_TIMEOUT_MS } from './webhooks/webhook-sender';
import { DomainError } from './domain/shared/domain-error';
import { envelopeOf } from './http/errors/error-envelope';
import { openApiDocument, serveOpenApi } from './http/openapi/openapi-document';
import { registerRateLimit } from './http/rate-limit/rate-limit';
import { serverOptions } from './http/server-options';
import { ShutdownState } from './lifecycle/shutdown-state';
import { EngineMetrics, NO_METRICS } from './observability/engine-metrics';
import { LedgerProbe } from './observability/engine-probe';
import { createLogger } from './observability/logger';
import { MeteredEventStore } from './observability/metered-event-store';
import { Metrics } from './observability/metrics';
import { observeRequests, requestIdOf } from './observability/request-hooks';

const STATUS_POLL_MS = 250;

/** Work that runs without requests: projection polling, webhook delivery, expiry scheduling. */
export interface Background {
  /** `deliveryGraceMs`: how long webhook requests in flight may take before their leases are given up. */
  stop(deliveryGraceMs?: number): Promise<void>;
}

function startBackground(config: LedgerConfig, ledger: Ledger, metrics: EngineMetrics): Background {
  const logger = new Logger('Background');
  const logError = (e: unknown) => logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  const { readModels } = ledger;
  readModels.profileStatusRunner.start(STATUS_POLL_MS, logError);
  readModels.webhookOutboxRunner.start(config.webhookPollMs, logError);
  const worker = new DeliveryWorker(
    readModels.db,
    ledger.clock,
    { retrySchedule: config.webhookRetrySchedule, pollMs: config.webhookPollMs, perEndpointConcurrency: 32, batch: 128, leaseMs: DELIVERY_TIMEOUT_MS + 5_000 },
    (appId, endpointId) => {
      // 410 Gone: the subscriber asks us to stop; the endpoint is disabled through its stream, like any change.
      ledger.endpoints
        .execute(
          endpointsStreamId(appId),
          (s) => (s[endpointId]?.enabled ? [{ type: 'WebhookEndpointDisabled', data: { id: endpointId, reason: 'endpoint answered 410 Gone' } }] : []),
          ledger.metadata({ appId, source: 'webhooks.gone' }),
        )
        .then((r) => {
          if (r.ok && r.position !== null) ledger.afterWrite(r.position);
        })
        .catch(logError);
    },
    logError,
    metrics,
  );
  readModels.onOutbox(() => worker.wake());
  worker.start();
  const scheduler = new ExpiryScheduler(ledger, metrics);
  scheduler.start(config.expiryPollMs);
  return {
    stop: async (deliveryGraceMs) => {
      await scheduler.stop();
      await worker.stop(deliveryGraceMs);
    },
  };
}

/**
 * Clients (curl with a shared header list, SDKs) send `content-type: application/json` with
 * an empty body on GET and DELETE. That is no body, not malformed JSON; anything else still
 * goes through Fastify's own JSON parser (prototype-poisoning checks included).
 */
function acceptEmptyJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
}

export async function createLedger(config: LedgerConfig, clock: Clock = systemClock, metrics: EngineMetrics = NO_METRICS): Promise<Ledger> {
  const adapter = await createEventStore(config, metrics);
  const store = metrics === NO_METRICS ? adapter : new MeteredEventStore(adapter, metrics);
  const readModels = new ReadModels(store, config.projectionsPath);
  for (const runner of readModels.runners) await runner.catchUpToHead();
  return new Ledger(store, readModels, clock);
}

export interface AppOptions {
  /** Where log lines go (stdout when absent). */
  logDestination?: DestinationStream;
  /** Called with the Fastify instance before any route is registered (e.g. to add an onRoute hook). */
  onFastify?: (fastify: FastifyInstance) => void;
}

/** The application and what the process around it needs: the logger and the shutdown state. */
export interface LedgerApp {
  app: NestFastifyApplication;
  /** What GET /openapi.json serves. */
  document: OpenAPIObject;
  logger: Pino;
  shutdown: ShutdownState;
}

/** The HTTP application on Fastify; Nest routes Fastify's own refusals (bad JSON, 404, 413) through the envelope filter. */
export async function createApp(config: LedgerConfig, clock: Clock = systemClock, options: AppOptions = {}): Promise<NestFastifyApplication> {
  return (await createLedgerApp(config, clock, options)).app;
}

export async function createLedgerApp(config: LedgerConfig, clock: Clock = systemClock, options: AppOptions = {}): Promise<LedgerApp> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = config.metricsEnabled ? new Metrics() : null;
  const ledger = await createLedger(config, clock, metrics ?? NO_METRICS);
  const probe = new LedgerProbe(ledger, config.readyMaxLagEvents);
  metrics?.watch(probe);
  const shutdown = new ShutdownState();
  const background = startBackground(config, ledger, metrics ?? NO_METRICS);
  const adapter = new FastifyAdapter({
    ...serverOptions(config),
    bodyLimit: config.bodyLimitBytes,
    // Long path parameters reach the controllers, which answer with the envelope.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    loggerInstance: logger,
    // One line per request, written by observeRequests (with the route and the app), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    // Errors Fastify raises before routing (a malformed URL) get the envelope too.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const envelope = envelopeOf(new DomainError('validation_error', 'non_field_errors', error.message));
      void reply.status(400).send(envelope);
    },
  });
  const fastify = adapter.getInstance();
  fastify.server.maxConnections = config.maxConnections;
  options.onFastify?.(fastify);
  observeRequests(fastify, { metrics, logRequests: config.logRequests });
  // While shutting down, every answer (also to a request accepted before) closes its connection: nothing new arrives on it.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.shuttingDown) void reply.header('connection', 'close');
    done(null, payload);
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, ledger, background, metrics, probe, shutdown, logger }),
    adapter,
    // Nest's start-up lines (every mapped route) stay out of the log; from init on, Nest logs through pino.
    { logger: ['error', 'warn'], bufferLogs: false },
  );
  await registerRateLimit(app, config);
  await app.init();
  app.useLogger(app.get(PinoNestLogger));
  const document = openApiDocument(app);
  serveOpenApi(app, document);
  // After init: Nest registers its own JSON parser there, which this one replaces.
  acceptEmptyJsonBodies(fastify);
  return { app, document, logger, shutdown };
}
