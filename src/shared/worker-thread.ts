import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the caller (`dir` is the caller's __dirname).
 * Built code runs the compiled `.js`; sources run under the test runner load the `.ts` through
 * tsx, so tests exercise the same worker the build ships.
 */
export function startWorker(dir: string, name: string, workerData: unknown): Worker {
  const js = join(dir, `${name}.js`);
  if (existsSync(js)) return new Worker(js, { workerData });
  const ts = join(dir, `${name}.ts`);
  // Resolved from here, so a worker started from any working directory finds the loader.
  return new Worker(ts, { workerData, execArgv: ['--require', require.resolve('tsx/cjs')] });
}

/**
 * Names the calling thread on Linux (its `comm`, at most 15 characters), so `top -H`, `ps -L` and
 * the benchmark's per-thread CPU figures tell the writer and projection threads apart. Elsewhere,
 * or if /proc is not writable, the thread keeps its name: it is a convenience only.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux, or no /proc
  }
}
