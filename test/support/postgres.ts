import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ClusterInfo, createDatabase, startCluster } from './pg-cluster';

const LOCK_WAIT_MS = 180_000;

/**
 * The jest run's PostgreSQL cluster, started by the first caller (any test file, any worker) and
 * stopped by the run's globalTeardown (test/support/pg-global-teardown.js). A mkdir lock keeps
 * parallel workers from starting two.
 */
export async function testCluster(): Promise<ClusterInfo> {
  const dir = process.env.LEDGER_TEST_PG_DIR;
  const owner = Number(process.env.LEDGER_TEST_PG_OWNER);
  if (!dir || !owner) {
    throw new Error('LEDGER_TEST_PG_DIR is not set: run the tests through jest.config.js (its globalSetup names the run\'s PostgreSQL folder)');
  }
  const file = join(dir, 'cluster.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'starting.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`waited ${LOCK_WAIT_MS / 1000} s for another test process to start PostgreSQL (${lock})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
    // Owned by the jest parent: the watchdog cleans up if the whole run dies.
    const info = await startCluster({ dir, ownerPid: owner });
    writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    return info;
  } finally {
    if (existsSync(lock)) rmdirSync(lock);
  }
}

/** A new, empty database on the run's cluster; resolves to its postgres:// URL. */
export async function freshDatabase(label = 'test'): Promise<string> {
  const cluster = await testCluster();
  const name = `${label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  return createDatabase(cluster, name);
}

