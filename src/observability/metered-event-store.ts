import { AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, RecordedEvent, ScanOptions, WrongExpectedRevisionError } from '../event-store/event-store.port';
import { EngineMetrics } from './engine-metrics';

/** Counts appends and concurrency conflicts of any adapter, around the port. */
export class MeteredEventStore implements EventStore {
  readonly scanByStream?: (options: ScanOptions) => AsyncIterable<RecordedEvent[]>;

  constructor(
    private readonly inner: EventStore,
    private readonly metrics: EngineMetrics,
  ) {
    if (inner.scanByStream) this.scanByStream = (options) => inner.scanByStream!(options);
  }

  append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    return this.inner.append(streamId, events, options).then(
      (result) => {
        this.metrics.appended(events.length);
        return result;
      },
      (error: unknown) => {
        if (error instanceof WrongExpectedRevisionError) this.metrics.conflicted();
        throw error;
      },
    );
  }

  readStream(streamId: string, fromRevision?: bigint, maxCount?: number): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamId, fromRevision, maxCount);
  }

  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  deleteStream(streamId: string): Promise<void> {
    return this.inner.deleteStream(streamId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
