import { ConfigError, loadConfig } from './config/config';
import { helpText } from './config/variables';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  const config = loadConfig();
  // Nest and the stores load only once the configuration holds: a mistake is reported at once.
  await import('reflect-metadata');
  const { createLedgerApp } = await import('./app.factory');
  const { shutDownOnSignals } = await import('./lifecycle/graceful-shutdown');
  const { app, logger, shutdown } = await createLedgerApp(config);
  shutDownOnSignals(app, shutdown, config, logger);
  await app.listen({ port: config.port, host: config.host });
  const { announceServer, serversDirOf } = await import('./lifecycle/server-pid');
  const servers = serversDirOf(config.eventStoreUrl);
  if (servers !== null) announceServer(servers);
  const hidePassword = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
  logger.info(
    { event_store: hidePassword(config.eventStoreUrl), read_models: config.readModelUrl === null ? config.projectionsPath : hidePassword(config.readModelUrl) },
    `Subscription ledger listening on http://${config.host}:${config.port}`,
  );
  if (config.generatedKey) {
    // The secret itself never goes to the log: it is in the file, readable by this user only.
    logger.warn(
      { app_id: config.generatedKey.appId, key_file: config.generatedKey.file },
      `No API_KEYS set: created app "${config.generatedKey.appId}"; its secret key is in ${config.generatedKey.file}`,
    );
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
