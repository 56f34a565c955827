import { readFileSync } from 'node:fs';
import { appStoreParts } from '../app-store.composition';
import { LedgerConfig } from '../config/config';
import { isDomainError } from '../domain/shared/domain-error';
import { EventStore } from '../event-store/event-store.port';
import { withStoreParts } from './store-cli-parts';

export interface ImportProgress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

export interface ImportResult {
  lines: number;
  outcomes: Map<string, number>;
  /** Lines refused, with their line number and the error. */
  refused: Array<{ line: number; code: string; message: string }>;
}

/** One notification per line: a bare signedPayload, or Apple's JSON body `{"signedPayload": "…"}`. */
function bodyOf(line: string): unknown {
  if (!line.startsWith('{')) return { signedPayload: line };
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * Backfill (Apple's notification history, a receiver's archive): each line goes through the same
 * verification, attribution and deduplication as Apple's POST, so a notification already received
 * is a duplicate and changes nothing. A running server on the same store sees the result at its next poll.
 */
export async function importAppStore(store: EventStore, config: LedgerConfig, appId: string, file: string, progress: ImportProgress): Promise<ImportResult> {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const result: ImportResult = { lines: lines.length, outcomes: new Map(), refused: [] };
  await withStoreParts(store, config, async (parts) => {
    const { intake } = appStoreParts({ store, config, ...parts, metrics: null });
    progress.start(lines.length);
    try {
      for (const [i, line] of lines.entries()) {
        const outcome = await intake.receive(appId, bodyOf(line), 'cli.app_store_import');
        if (isDomainError(outcome)) {
          result.refused.push({ line: i + 1, code: outcome.code, message: outcome.message });
          result.outcomes.set('refused', (result.outcomes.get('refused') ?? 0) + 1);
        } else {
          result.outcomes.set(outcome.outcome, (result.outcomes.get(outcome.outcome) ?? 0) + 1);
        }
        progress.update(i + 1);
      }
    } finally {
      progress.stop();
    }
  });
  return result;
}
