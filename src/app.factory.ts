import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ExpiryScheduler } from './application/record-expiries/expiry-scheduler';
import { Ledger } from './application/shared/ledger';
import { LedgerConfig } from './config/config';
import { Clock, systemClock } from './domain/shared/clock';
import { IdGenerator, randomIds } from './domain/shared/uuid';
import { disableEndpoint, endpointsStreamId } from './domain/webhooks/webhook-endpoint';
import { createEventStore } from './event-store/event-store.factory';
import { ReadModels } from './projections/read-models';
import { AttemptReport, DeliveryWorker } from './webhooks/delivery-worker';
import { DELIVERY_TIMEOUT_MS } from './webhooks/webhook-sender';
import { DomainError } from './domain/shared/domain-error';
import { envelopeOf } from './http/errors/error-envelope';
import { clientErrorHandler } from './http/errors/client-error-handler';

const STATUS_POLL_MS = 250;

/** Work that runs without requests: projection polling, webhook delivery, expiry scheduling. */
export interface Background {
  stop(): Promise<void>;
}

const deliveryLogger = new Logger('Webhooks');

/** A delivery that ends without being delivered is worth a line in the server log; retries are not. */
function logEndedDelivery(r: AttemptReport): void {
  if (r.outcome === 'delivered' || r.outcome === 'retry') return;
  deliveryLogger.warn(`delivery ${r.deliveryId} to endpoint ${r.endpointId} (app ${r.appId}) ${r.outcome}: ${r.error}`);
}

function startBackground(config: LedgerConfig, ledger: Ledger): Background {
  const logger = new Logger('Background');
  const logError = (e: unknown) => logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  const { readModels } = ledger;
  readModels.profileStatusRunner.start(STATUS_POLL_MS, logError);
  readModels.webhookOutboxRunner.start(config.webhookPollMs, logError);
  const worker = new DeliveryWorker(
    readModels.db,
    ledger.clock,
    {
      retrySchedule: config.webhookRetrySchedule,
      pollMs: config.webhookPollMs,
      perEndpointConcurrency: 32,
      batch: 128,
      leaseMs: DELIVERY_TIMEOUT_MS + 5_000,
      allowPrivateAddresses: config.webhookAllowPrivateUrls,
      onAttempt: logEndedDelivery,
    },
    (appId, endpointId) => {
      // 410 Gone: the subscriber asks us to stop; the endpoint is disabled through its stream, like any change.
      ledger.endpoints
        .execute(
          endpointsStreamId(appId),
          (s) => disableEndpoint(s, endpointId, 'endpoint answered 410 Gone'),
          ledger.metadata({ appId, source: 'webhooks.gone', commandId: `gone:${endpointId}` }),
        )
        .then((r) => {
          if (r.ok && r.position !== null) ledger.afterWrite(r.position);
        })
        .catch(logError);
    },
    logError,
  );
  readModels.onOutbox(() => worker.wake());
  worker.start();
  const scheduler = new ExpiryScheduler(ledger);
  scheduler.start(config.expiryPollMs);
  return {
    stop: async () => {
      await scheduler.stop();
      await worker.stop();
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

export async function createLedger(config: LedgerConfig, clock: Clock = systemClock, ids: IdGenerator = randomIds): Promise<Ledger> {
  const store = await createEventStore(config);
  const readModels = new ReadModels(store, config.projectionsPath);
  for (const runner of readModels.runners) await runner.catchUpToHead();
  return new Ledger(store, readModels, clock, ids);
}

/** The HTTP application on Fastify; Nest routes Fastify's own refusals (bad JSON, 404, 413) through the envelope filter. */
export async function createApp(config: LedgerConfig, clock: Clock = systemClock, ids: IdGenerator = randomIds): Promise<NestFastifyApplication> {
  const ledger = await createLedger(config, clock, ids);
  const background = startBackground(config, ledger);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Long path parameters reach the controllers, which answer with the envelope.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    logger: config.logRequests,
    clientErrorHandler,
    // Errors Fastify raises before routing (a malformed URL) get the envelope too.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const envelope = envelopeOf(new DomainError('validation_error', 'non_field_errors', error.message));
      void reply.status(400).send(envelope);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, ledger, background), adapter, {
    logger: ['error', 'warn'],
    bufferLogs: false,
  });
  app.enableShutdownHooks();
  await app.init();
  // After init: Nest registers its own JSON parser there, which this one replaces.
  acceptEmptyJsonBodies(app.getHttpAdapter().getInstance());
  return app;
}
