import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { LedgerConfig } from './config/config';
import { Clock, systemClock } from './domain/shared/clock';
import { IdGenerator, randomIds } from './domain/shared/uuid';
import { LedgerRuntime } from './ledger-runtime';
import { DomainError } from './domain/shared/domain-error';
import { envelopeOf } from './http/errors/error-envelope';
import { clientErrorHandler } from './http/errors/client-error-handler';

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

/** The HTTP application on Fastify; Nest routes Fastify's own refusals (bad JSON, 404, 413) through the envelope filter. */
export async function createApp(config: LedgerConfig, clock: Clock = systemClock, ids: IdGenerator = randomIds): Promise<NestFastifyApplication> {
  const runtime = await LedgerRuntime.open(config, clock, ids);
  runtime.startBackground();
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
  try {
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(runtime), adapter, {
      logger: ['error', 'warn'],
      bufferLogs: false,
    });
    app.enableShutdownHooks();
    await app.init();
    // After init: Nest registers its own JSON parser there, which this one replaces.
    acceptEmptyJsonBodies(app.getHttpAdapter().getInstance());
    return app;
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
