import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { Ledger } from './application/shared/ledger';
import { LedgerConfig } from './config/config';
import { Clock, systemClock } from './domain/shared/clock';
import { createEventStore } from './event-store/event-store.factory';
import { ReadModels } from './projections/read-models';

const POLL_MS = 500;

export async function createLedger(config: LedgerConfig, clock: Clock = systemClock): Promise<Ledger> {
  const store = await createEventStore(config);
  const readModels = new ReadModels(store, config.projectionsPath);
  const logger = new Logger('Projections');
  await readModels.profileStatusRunner.catchUpToHead();
  readModels.profileStatusRunner.start(POLL_MS, (e) => logger.error(e instanceof Error ? e.message : String(e)));
  return new Ledger(store, readModels, clock);
}

/** The HTTP application on Fastify; Nest routes Fastify's own refusals (bad JSON, 404, 413) through the envelope filter. */
export async function createApp(config: LedgerConfig, clock: Clock = systemClock): Promise<NestFastifyApplication> {
  const ledger = await createLedger(config, clock);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    logger: config.logRequests,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, ledger), adapter, {
    logger: ['error', 'warn'],
    bufferLogs: false,
  });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
