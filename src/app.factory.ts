import { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { LedgerConfig } from './config/config';
import { Clock, systemClock } from './domain/shared/clock';
import { DomainError } from './domain/shared/domain-error';
import { IdGenerator, randomIds } from './domain/shared/uuid';
import { clientErrorHandler } from './http/errors/client-error-handler';
import { envelopeOf } from './http/errors/error-envelope';
import { LedgerRuntime } from './ledger-runtime';
import { openApiDocument, serveOpenApi } from './http/openapi/openapi-document';
import { registerRateLimit } from './http/rate-limit/rate-limit';
import { serverOptions } from './http/server-options';
import { ShutdownState } from './lifecycle/shutdown-state';
import { backupStateFileOf } from './observability/backup-state';
import { NO_METRICS } from './observability/engine-metrics';
import { LedgerProbe } from './observability/engine-probe';
import { createLogger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { observeRequests, requestIdOf } from './http/request-hooks';

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

export interface AppOptions {
  /** Where new ids come from (profile, grant, endpoint and command ids): tests pin them. */
  ids?: IdGenerator;
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
  /** The store and the projection engine under the app (tests drive them directly). */
  runtime: LedgerRuntime;
}

/** The HTTP application on Fastify; Nest routes Fastify's own refusals (bad JSON, 404, 413) through the envelope filter. */
export async function createApp(config: LedgerConfig, clock: Clock = systemClock, options: AppOptions = {}): Promise<NestFastifyApplication> {
  return (await createLedgerApp(config, clock, options)).app;
}

export async function createLedgerApp(config: LedgerConfig, clock: Clock = systemClock, options: AppOptions = {}): Promise<LedgerApp> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = config.metricsEnabled ? new Metrics() : null;
  const runtime = await LedgerRuntime.open(config, clock, options.ids ?? randomIds, metrics ?? NO_METRICS);
  const probe = new LedgerProbe(runtime.store, runtime.engine, runtime.readModels, config.readyMaxLagEvents);
  metrics?.watch(probe);
  metrics?.watchUnattributed(() => runtime.unattributedWaiting());
  metrics?.watchBackups(backupStateFileOf(config.eventStoreUrl));
  const shutdown = new ShutdownState();
  runtime.startBackground();
  const adapter = new FastifyAdapter({
    ...serverOptions(config),
    bodyLimit: config.bodyLimitBytes,
    // Long path parameters reach the controllers, which answer with the envelope.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    loggerInstance: logger,
    // One line per request, written by observeRequests (with the route and the app), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    clientErrorHandler,
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
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ runtime, metrics, probe, shutdown, logger }),
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
    return { app, document, logger, shutdown, runtime };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
