import { existsSync } from 'node:fs';
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
