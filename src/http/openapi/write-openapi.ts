/**
 * `npm run openapi`: writes the OpenAPI document the server serves (default configuration) to
 * `openapi.json` at the repository's top level, or to the path given as the first argument.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLedgerApp } from '../../app.factory';
import { loadConfig } from '../../config/config';

/** The document as committed: two-space JSON with a final newline. */
export const serializeDocument = (document: object): string => `${JSON.stringify(document, null, 2)}\n`;

async function main(): Promise<void> {
  const target = resolve(process.argv[2] ?? join(__dirname, '..', '..', '..', 'openapi.json'));
  const dir = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
  try {
    const config = loadConfig({ EVENT_STORE_URL: `sqlite:${join(dir, 'ledger.sqlite')}`, API_KEYS: 'app:secret', LOG_LEVEL: 'silent' });
    const { app, document } = await createLedgerApp(config);
    writeFileSync(target, serializeDocument(document));
    await app.close();
    process.stdout.write(`wrote ${target}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
