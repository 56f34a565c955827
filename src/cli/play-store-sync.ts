import { readFileSync } from 'node:fs';
import { BackfillLine } from '../application/play-store/play-store-backfill';
import { LedgerConfig } from '../config/config';
import { isDomainError } from '../domain/shared/domain-error';
import { EventStore } from '../event-store/event-store.port';
import { playStoreParts } from '../play-store.composition';
import { ImportProgress } from './app-store-import';
import { withStoreParts } from './store-cli-parts';

export interface PlaySyncResult {
  outcomes: Map<string, number>;
  failed: Array<{ purchase_token: string; code: string; message: string }>;
}

/** Tokens given on the command line and in a file (one per line; `token productId` for a one-time product). */
export function tokensOf(given: string[], file: string | undefined): Array<{ token: string; productId: string | null }> {
  const lines = [...given, ...(file ? readFileSync(file, 'utf8').split('\n') : [])].map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return lines.map((l) => {
    const [token, productId] = l.split(/\s+/);
    return { token, productId: productId ?? null };
  });
}

/**
 * `ledger play-store sync`: each token re-read from the Play Developer API and recorded when Google's
 * answer changed; with `voidedSince`, Google's voided purchases since then. A running server on the same
 * store sees the result at its next poll.
 */
export async function syncPlayStore(
  store: EventStore,
  config: LedgerConfig,
  appId: string,
  input: { tokens: Array<{ token: string; productId: string | null }>; voidedSince: Date | null },
  progress: ImportProgress,
): Promise<PlaySyncResult> {
  const result: PlaySyncResult = { outcomes: new Map(), failed: [] };
  const count = (line: BackfillLine) => result.outcomes.set(line.outcome, (result.outcomes.get(line.outcome) ?? 0) + 1);
  await withStoreParts(store, config, async (parts) => {
    const { backfill } = playStoreParts({ store, config, ...parts, metrics: null });
    progress.start(input.tokens.length);
    try {
      for (const [i, { token, productId }] of input.tokens.entries()) {
        const line = await backfill.reread(appId, token, productId);
        if (isDomainError(line)) result.failed.push({ purchase_token: token, code: line.code, message: line.message });
        else count(line);
        progress.update(i + 1);
      }
    } finally {
      progress.stop();
    }
    if (input.voidedSince !== null) {
      const lines = await backfill.voided(appId, input.voidedSince);
      if (isDomainError(lines)) result.failed.push({ purchase_token: '(voided purchases)', code: lines.code, message: lines.message });
      else lines.forEach(count);
    }
  });
  return result;
}
