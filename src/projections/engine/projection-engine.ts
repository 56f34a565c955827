import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../shared/worker-thread';
import { ReadyDelivery, StreamFailure } from '../read-model-store.port';
import { EngineCall, EngineCallResults, EngineSettings, FromEngine, ToEngine } from './engine-protocol';

/** What the projection thread reports after each batch it applies (or sees applied by another process). */
export interface Progress {
  position: bigint;
  /** Profiles rewritten (revision) or removed (null); null: unknown, another process moved the read models. */
  touched: Array<[string, bigint | null]> | null;
  enqueued: ReadyDelivery[];
  /** Streams this batch stopped (an event a projection could not apply). */
  stopped: StreamFailure[];
}

export class ReadModelsUnavailableError extends Error {}

/**
 * The main thread's handle on the projection thread: wakes it after this process's writes, waits
 * for the read models to reach a position, passes read-model writes to it, and tells listeners
 * what each batch changed (caches, the delivery queue).
 */
export class ProjectionEngine {
  private positionNow = -1n;
  private readonly listeners: Array<(p: Progress) => void> = [];
  private readonly waiters: Array<{ position: bigint; resolve: () => void }> = [];
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly stoppedStreams = new Map<string, StreamFailure>();
  private nextCall = 1;
  /** A wake is on its way or being drained; wakes meanwhile ask for one more drain after it (see wake). */
  private waking = false;
  private wakeAgain = false;
  private failing: string | null = null;
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromEngine) => this.onMessage(m));
    worker.on('error', (e) => this.onFailure(e instanceof Error ? e.message : String(e)));
  }

  static async start(settings: EngineSettings): Promise<ProjectionEngine> {
    const worker = startWorker(__dirname, 'projection-engine.worker', settings);
    const engine = new ProjectionEngine(worker);
    for (;;) {
      const [m] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [FromEngine];
      if (m.kind === 'ready') return engine;
      if (m.kind === 'failing') throw new Error(m.message);
    }
  }

  /** The read models hold the log up to here. */
  get position(): bigint {
    return this.positionNow;
  }

  /** Streams stopped at an event a projection could not apply. */
  get stopped(): StreamFailure[] {
    return [...this.stoppedStreams.values()];
  }

  /** Storage trouble the projection thread is retrying through, if any. */
  get failure(): string | null {
    return this.failing;
  }

  onProgress(listener: (p: Progress) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Something new is in the log (this process just wrote it): project it now rather than at the next
   * poll. One wake message per drain, however many writes: writes made while one is pending get one
   * more drain once the thread reports it idle.
   */
  wake(): void {
    if (this.closed) return;
    if (this.waking) {
      this.wakeAgain = true;
      return;
    }
    this.waking = true;
    this.worker.postMessage({ kind: 'wake' } satisfies ToEngine);
  }

  /** Resolves once the read models hold everything up to `position`; rejects after `timeoutMs`. */
  reach(position: bigint, timeoutMs: number): Promise<void> {
    if (this.positionNow >= position) return Promise.resolve();
    this.wake();
    return new Promise((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new ReadModelsUnavailableError(`the read models are still catching up with the log (at ${this.positionNow}, need ${position})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  call<K extends EngineCall['kind']>(call: Extract<EngineCall, { kind: K }>): Promise<EngineCallResults[K]> {
    if (this.closed) return Promise.reject(new Error('projection engine is closed'));
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'call', id, call } satisfies ToEngine);
    });
  }

  private onMessage(m: FromEngine): void {
    switch (m.kind) {
      case 'ready':
        this.advance(m.position);
        for (const f of m.stopped) this.stoppedStreams.set(f.stream_id, f);
        return;
      case 'applied':
        this.failing = null;
        // Moved by another process: it may have stopped or resumed streams too.
        if (m.touched === null) this.stoppedStreams.clear();
        for (const f of [...(m.allStopped ?? []), ...m.stopped]) this.stoppedStreams.set(f.stream_id, f);
        for (const [id, revision] of m.touched ?? []) if (revision === null) this.stoppedStreams.delete(`profile-${id}`);
        this.listeners.forEach((l) => l({ position: m.position, touched: m.touched, enqueued: m.enqueued, stopped: m.stopped }));
        this.advance(m.position);
        return;
      case 'idle':
        this.waking = false;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        }
        return;
      case 'failing':
        this.onFailure(m.message);
        return;
      case 'result': {
        const pending = this.calls.get(m.id);
        this.calls.delete(m.id);
        if (m.error !== undefined) pending?.reject(new Error(m.error));
        else pending?.resolve(m.value);
        return;
      }
      default:
        return;
    }
  }

  private onFailure(message: string): void {
    this.failing = message;
  }

  private advance(position: bigint): void {
    if (position > this.positionNow) this.positionNow = position;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].position <= this.positionNow) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  /** Lets the projection thread finish its batch and close its files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromEngine) => m.kind === 'closed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ kind: 'close' } satisfies ToEngine);
    await done;
    await this.worker.terminate();
    for (const pending of this.calls.values()) pending.reject(new Error('projection engine is closed'));
    this.calls.clear();
  }
}
