'use strict';
// Preloaded into the bench's child servers: if the harness dies without cleaning up (SIGKILL,
// crash), the child notices its parent is gone and stops itself, so no server is left behind.
const parent = Number(process.env.BENCH_PARENT_PID);
if (parent) {
  setInterval(() => {
    if (process.ppid !== parent) {
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.exit(1), 5000).unref();
    }
  }, 1000).unref();
}
