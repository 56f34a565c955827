import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { LedgerConfig } from '../config/config';
import { ShutdownState } from './shutdown-state';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one shutdown sequence (SIGTERM, SIGINT):
 *  1. readiness answers 503 at once;
 *  2. after SHUTDOWN_DRAIN_DELAY_MS (load balancers notice the 503 and stop routing here), the
 *     server stops accepting connections and closes idle ones; requests already accepted are
 *     answered (with `Connection: close`), also those that arrive meanwhile on an open connection;
 *  3. once every connection is closed, the background work stops (webhook leases still held
 *     are released for other processes), the read models and the event store close (the group
 *     commit's pending appends commit first);
 *  4. exit 0 — or, past SHUTDOWN_TIMEOUT_MS, cut what is left and exit 1.
 */
export async function shutDown(
  app: NestFastifyApplication,
  state: ShutdownState,
  config: Pick<LedgerConfig, 'shutdownDrainDelayMs' | 'shutdownTimeoutMs'>,
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  state.begin();
  logger.info({ drain_delay_ms: config.shutdownDrainDelayMs, timeout_ms: config.shutdownTimeoutMs }, 'shutting down: readiness is 503');
  const deadline = setTimeout(() => {
    logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown deadline passed: cutting open connections and exiting 1');
    app.getHttpAdapter().getInstance().server.closeAllConnections();
    exit(1);
  }, config.shutdownTimeoutMs);
  try {
    if (config.shutdownDrainDelayMs > 0) await sleep(config.shutdownDrainDelayMs);
    await app.close();
    clearTimeout(deadline);
    logger.info('shut down cleanly');
    exit(0);
  } catch (error) {
    clearTimeout(deadline);
    logger.error({ err: error }, 'shutdown failed');
    exit(1);
  }
}

/** Runs the sequence once on the first SIGTERM or SIGINT; a second signal is ignored (the deadline still holds). */
export function shutDownOnSignals(app: NestFastifyApplication, state: ShutdownState, config: LedgerConfig, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.shuttingDown) return;
    logger.info({ signal }, 'signal received');
    void shutDown(app, state, config, logger);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
