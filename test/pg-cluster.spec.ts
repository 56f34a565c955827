import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { alive, findBinDir, INSTALL_HINT, startCluster, stopCluster } from './support/pg-cluster';

/** The throwaway-cluster harness itself: it says what to install, and leaves nothing behind. */
describe('test PostgreSQL cluster harness', () => {
  const postmaster = (dataDir: string) => Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

  it('says what to install when the server binaries are missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ledger-nopg-'));
    try {
      expect(() => findBinDir({ pgBin: empty, debian: empty, searchPath: empty })).toThrow(INSTALL_HINT);
      expect(INSTALL_HINT).toMatch(/apt-get install -y postgresql/);
      expect(INSTALL_HINT).toMatch(/PG_BIN/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('stops the server and removes its folder on stop', async () => {
    const info = await startCluster();
    const client = new Client({ host: info.host, port: info.port, user: info.user, password: info.password, database: 'postgres' });
    await client.connect();
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    await client.end();
    const pid = postmaster(info.dataDir);
    await stopCluster(info);
    expect(alive(pid)).toBe(false);
    expect(existsSync(info.dir)).toBe(false);
    expect(info.watchdogPid !== null && alive(info.watchdogPid)).toBe(false);
  }, 60_000);

  it('cleans up after an owner that dies without stopping it (kill -9)', async () => {
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const info = await startCluster({ ownerPid: owner.pid });
    const pid = postmaster(info.dataDir);
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((alive(pid) || existsSync(info.dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(false);
    expect(existsSync(info.dir)).toBe(false);
  }, 60_000);
});
