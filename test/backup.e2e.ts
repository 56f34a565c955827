import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtDist, cleanupAll, http, LedgerProcess, processEnv, SECRET, sleep, startLedger, tempDir, V2 } from './support/process-ledger';
import { freshDatabase } from './support/postgres';
import { onPostgres, storeEnv } from './support/test-store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findBinDir } = require('./support/pg-cluster.js') as { findBinDir: () => string };

const API_KEYS = `app1:${SECRET}`;

/**
 * Backups end to end, with real processes: `ledger backup` while a server takes writes flat out,
 * `ledger verify-backup`, `ledger restore` (refused on a live log), and a server on the restored
 * copy. On PostgreSQL, the documented path: a pg_dump of the ledger's database restored into another
 * database serves the same profiles.
 */
describe('backups', () => {
  let dist: string;
  const cli = (args: string[], env: Record<string, string>) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(dist, 'cli', 'main.js'), ...args], { env: processEnv({ API_KEYS, ...env }) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const grant = (server: LedgerProcess, user: string) =>
    http(server.url, { method: 'POST', path: `${V2}/purchase/profile/grant/access-level/`, customerUserId: user, body: { access_level_id: 'premium', is_lifetime: true } });
  const create = (server: LedgerProcess, user: string) => http(server.url, { method: 'POST', path: `${V2}/profile/`, customerUserId: user, body: {} });

  beforeAll(async () => {
    dist = await builtDist();
  });
  afterAll(cleanupAll);

  (onPostgres() ? it.skip : it)('a copy taken under write load holds every write acknowledged before it began, verifies, restores and serves', async () => {
    const dir = tempDir();
    const env = await storeEnv(dir);
    const server = await startLedger({ dir });
    // Writers flat out: each profile is created, then acknowledged; the copy must hold every one acknowledged before it started.
    const acknowledged: string[] = [];
    let writing = true;
    let n = 0;
    const writer = async () => {
      while (writing) {
        const user = `user-${n++}`;
        if ((await create(server, user)).status === 200) acknowledged.push(user);
      }
    };
    const writers = [writer(), writer(), writer(), writer()];
    await sleep(500);
    const before = [...acknowledged];
    const target = join(dir, 'copy.sqlite');
    const backup = await cli(['backup', target, '--with-read-models'], env);
    const during = acknowledged.length;
    await sleep(200);
    writing = false;
    await Promise.all(writers);
    expect(backup.stderr).toBe('');
    expect(backup.status).toBe(0);
    expect(backup.stdout).toMatch(/Backed up the log to .*copy\.sqlite: head position \d+, \d+ events in \d+ streams/);
    expect(acknowledged.length).toBeGreaterThan(during);
    expect(existsSync(`${target}.read-models`)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const verified = await cli(['verify-backup', target], {});
    expect(verified.stdout).toContain('The copy is whole.');
    expect(verified.status).toBe(0);
    // The deployment's metrics say when the last backup finished.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const last = Number(/ledger_last_backup_timestamp_seconds (\d+(\.\d+)?)/.exec(metrics)?.[1]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(120);

    // A restore is refused while a server runs on the log.
    const refused = await cli(['restore', target], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/A server \(pid \d+\) is running on .*: stop it before restoring/);

    // A profile erased after the copy stays erased through a restore.
    const erased = before[0];
    expect((await http(server.url, { method: 'DELETE', path: `${V2}/profile/`, customerUserId: erased })).status).toBe(204);
    expect((await server.stop()).code).toBe(0);
    const restored = await cli(['restore', target], env);
    expect(restored.stderr).toBe('');
    expect(restored.stdout).toContain('The copy predated 1 erasure(s): applied again.');
    expect(restored.status).toBe(0);

    const again = await startLedger({ dir });
    for (const user of before.slice(1)) expect([user, (await http(again.url, { path: `${V2}/profile/`, customerUserId: user })).status]).toEqual([user, 200]);
    expect((await http(again.url, { path: `${V2}/profile/`, customerUserId: erased })).status).toBe(404);
    expect((await grant(again, before[1])).status).toBe(200);
    expect((await again.stop()).code).toBe(0);
    const verify = spawnSync(process.execPath, [join(dist, 'cli', 'main.js'), 'verify'], { env: processEnv({ API_KEYS, ...env }), encoding: 'utf8', timeout: 60_000 });
    expect(verify.stdout).toContain('Read models match');
    expect(verify.status).toBe(0);
  }, 90_000);

  (onPostgres() ? it.skip : it)('a torn copy fails verify-backup (exit 1), and nothing is restored from it', async () => {
    const dir = tempDir();
    const env = await storeEnv(dir);
    const server = await startLedger({ dir });
    for (let i = 0; i < 200; i++) await create(server, `torn-${i}`);
    const target = join(dir, 'torn.sqlite');
    expect((await cli(['backup', target], env)).status).toBe(0);
    await server.stop();
    truncateSync(target, Math.floor(statSync(target).size / 2));
    const verified = await cli(['verify-backup', target], {});
    expect(verified.stdout).toContain('NOT whole');
    expect(verified.status).toBe(1);
    const garbage = join(dir, 'garbage.sqlite');
    writeFileSync(garbage, 'not a database at all');
    expect((await cli(['verify-backup', garbage], {})).status).toBe(1);
    const log = readFileSync(join(dir, 'ledger.sqlite'));
    const restore = await cli(['restore', target], env);
    expect(restore.status).toBe(2);
    expect(restore.stderr).toContain('The copy is not whole, nothing was changed');
    expect(readFileSync(join(dir, 'ledger.sqlite')).equals(log)).toBe(true);
  }, 60_000);

  (onPostgres() ? it : it.skip)('PostgreSQL: a pg_dump of the ledger database, restored into another, serves the same profiles', async () => {
    const dir = tempDir();
    const env = await storeEnv(dir);
    const server = await startLedger({ dir });
    for (let i = 0; i < 20; i++) {
      expect((await create(server, `pg-${i}`)).status).toBe(200);
      expect((await grant(server, `pg-${i}`)).status).toBe(200);
    }
    const dump = join(dir, 'ledger.sql');
    const bin = findBinDir();
    const dumped = spawnSync(join(bin, 'pg_dump'), ['--no-owner', '--file', dump, '--dbname', env.EVENT_STORE_URL], { encoding: 'utf8', timeout: 60_000 });
    expect(dumped.stderr).toBe('');
    await server.stop();
    const copy = await freshDatabase('restored');
    const loaded = spawnSync(join(bin, 'psql'), ['--quiet', '--set', 'ON_ERROR_STOP=1', '--dbname', copy, '--file', dump], { encoding: 'utf8', timeout: 60_000 });
    expect(loaded.status).toBe(0);
    const restored = await startLedger({ dir: tempDir(), env: { EVENT_STORE_URL: copy } });
    for (let i = 0; i < 20; i++) {
      const r = await http(restored.url, { path: `${V2}/profile/`, customerUserId: `pg-${i}` });
      expect(r.body.data.access_levels.map((l: any) => l.access_level_id)).toEqual(['premium']);
    }
    const verify = spawnSync(process.execPath, [join(dist, 'cli', 'main.js'), 'verify'], { env: processEnv({ API_KEYS, EVENT_STORE_URL: copy }), encoding: 'utf8', timeout: 60_000 });
    expect(verify.stdout).toContain('Read models match');
    await restored.stop();
  }, 90_000);
});
