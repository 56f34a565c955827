import { EventStoreOptions } from '../../event-store/event-store.factory';
import { ReadModelLocation } from '../read-model-store.factory';
import { AttemptRecord, DeliveryView, ReadyDelivery, StreamFailure } from '../read-model-store.port';

/** What the projection thread is started with. */
export interface EngineSettings {
  eventStore: EventStoreOptions;
  readModels: ReadModelLocation;
  batch: number;
  foldCacheSize: number;
  /** How often the log is read for events other processes wrote (this process's own writes wake it at once). */
  pollMs: number;
}

/** Work the main thread asks of the projection thread, which owns every write to the read models. */
export type EngineCall =
  | { kind: 'claim'; seqs: number[]; now: number; leaseUntil: number }
  | { kind: 'record'; records: AttemptRecord[] }
  | { kind: 'release'; seqs: number[] }
  | { kind: 'redeliver'; appId: string; deliveryId: string; now: number };

export interface EngineCallResults {
  claim: number[];
  record: void;
  release: void;
  redeliver: DeliveryView | null;
}

export type ToEngine = { kind: 'wake' } | { kind: 'close' } | { kind: 'call'; id: number; call: EngineCall };

export type FromEngine =
  | { kind: 'ready'; position: bigint; stopped: StreamFailure[] }
  | {
      kind: 'applied';
      position: bigint;
      touched: Array<[string, bigint | null]> | null;
      enqueued: ReadyDelivery[];
      stopped: StreamFailure[];
      /** With touched null: every stream stopped now. */
      allStopped: StreamFailure[] | null;
    }
  /** A drain ended: everything committed before the last wake has been read. */
  | { kind: 'idle' }
  | { kind: 'failing'; message: string }
  | { kind: 'result'; id: number; value?: unknown; error?: string }
  | { kind: 'closed' };
