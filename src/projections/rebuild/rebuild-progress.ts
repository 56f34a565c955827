import { EventStore } from '../../event-store/event-store.port';
import { Projector } from '../projector';
import { ReadModelWriter } from '../read-model-store.port';

export interface RebuildProgress {
  /** The scan is about to fold everything up to `total` (a log position). */
  start(total: bigint): void;
  /** Events folded so far, and the stream being folded. */
  update(events: number): void;
  stop(): void;
}

export const SILENT: RebuildProgress = { start: () => undefined, update: () => undefined, stop: () => undefined };

/** Runs a projector over `models` until they hold the log up to `head` (webhooks are enqueued only where their horizon says). */
export async function projectUntil(store: EventStore, models: ReadModelWriter, head: bigint): Promise<void> {
  const projector = new Projector(store, models, { batch: 20_000, foldCacheSize: 10_000 });
  await projector.init();
  while (projector.position < head) if ((await projector.step()) === null) break;
}
