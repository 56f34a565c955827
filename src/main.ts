import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  const store = config.eventStoreUrl.replace(/\/\/[^@/]*@/, '//***@');
  process.stdout.write(`Subscription ledger listening on http://${config.host}:${config.port} (event store: ${store})\n`);
  if (config.generatedKey) {
    // Printed once, on the start that created it; it stays in the data directory.
    process.stdout.write(
      `\nNo API_KEYS set: created app "${config.generatedKey.appId}" with secret key\n\n    ${config.generatedKey.secret}\n\n` +
        `Use it as: Authorization: Api-Key ${config.generatedKey.secret}\n\n`,
    );
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
