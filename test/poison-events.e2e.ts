import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { builtDist, cleanupAll, http, LedgerProcess, processEnv, SECRET, startLedger, tempDir, V2 } from './support/process-ledger';
import { openStore, storeEnv } from './support/test-store';

/**
 * Issue 8: an event a projection cannot apply stops its own stream, never the ledger. A build with a
 * projection bug (preloaded: it cannot fold one kind of event) meets such an event already in the log;
 * the server still starts and serves everyone else, the stopped stream is logged, reported by
 * `ledger verify` and answers 503; the fixed build plus `ledger rebuild` resumes it. Events about
 * webhook endpoints that never existed (written before such requests were refused) change nothing.
 */
describe('a poison event stops its own stream, never the ledger', () => {
  const BUG = join(__dirname, 'support', 'buggy-projection.js');
  let dir: string;
  let dist: string;
  let store: { EVENT_STORE_URL: string; DATA_DIR: string };
  let server: LedgerProcess | null = null;

  const start = async (buggy: boolean) => {
    server = await startLedger({ dir, nodeArgs: buggy ? ['--require', BUG] : [], env: { LEDGER_DIST: dist } });
    return server;
  };
  const ledgerCli = (buggy: boolean, ...args: string[]) => {
    const env = processEnv({ ...store, API_KEYS: `app1:${SECRET}`, LEDGER_DIST: dist });
    const r = spawnSync(process.execPath, [...(buggy ? ['--require', BUG] : []), join(dist, 'cli', 'main.js'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  const profileOf = (cuid: string) => http(server!.url, { customerUserId: cuid });

  beforeAll(async () => {
    dir = tempDir();
    store = await storeEnv(dir);
    dist = await builtDist();
    const s = await start(true);
    for (const cuid of ['victim', 'bystander']) {
      expect((await http(s.url, { method: 'POST', customerUserId: cuid, body: {} })).status).toBe(200);
      expect((await http(s.url, { method: 'POST', path: `${V2}/purchase/profile/grant/access-level/`, customerUserId: cuid, body: { access_level_id: 'premium' } })).status).toBe(200);
    }
    await s.stop();
  }, 60_000);
  afterAll(cleanupAll);

  it('with the poison already in the log, the server starts, serves every other profile, and stops only that stream', async () => {
    const victimId: string = (await (async () => {
      const s = await start(true);
      const id = (await profileOf('victim')).body.data.profile_id;
      await s.stop();
      return id;
    })()) as string;
    // Straight into the store, as a bug elsewhere or an older release could have left it.
    const log = await openStore(dir);
    try {
      const tail = await log.readStream(`profile-${victimId}`);
      const poison = { eventId: randomUUID(), type: 'AttributesUpdated', data: { attributes: {}, custom_attributes: { poisoned: 'yes' } }, metadata: { app_id: 'app1', source: 'test' } };
      await log.append(`profile-${victimId}`, [poison], { expected: tail[tail.length - 1].revision, recordedAt: new Date() });
      const legacy = (type: string, data: object) => ({ eventId: randomUUID(), type, data, metadata: { app_id: 'app1', source: 'test' } });
      await log.append('webhook-endpoints-app1', [legacy('WebhookEndpointDeleted', { id: 'constructor' }), legacy('WebhookEndpointSecretRotated', { id: '__proto__', secret: 'whsec_x' })], {
        expected: 'any',
        recordedAt: new Date(),
      });
    } finally {
      await log.close();
    }

    const s = await start(true);
    const bystander = await profileOf('bystander');
    expect(bystander.status).toBe(200);
    expect(bystander.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['premium']);
    const created = await http(s.url, { method: 'POST', customerUserId: 'newcomer', body: {} });
    expect(created.status).toBe(200);
    expect((await profileOf('newcomer')).status).toBe(200);

    const read = await profileOf('victim');
    expect(read.status).toBe(503);
    expect(read.body.error_code).toBe('read_model_unavailable');
    expect(read.body.errors[0].errors[0]).toMatch(/stopped at event \d+ \(AttributesUpdated\)/);
    const write = await http(s.url, { method: 'POST', path: `${V2}/purchase/profile/revoke/access-level/`, customerUserId: 'victim', body: { access_level_id: 'premium' } });
    expect(write.status).toBe(503);
    expect(write.body.error_code).toBe('stream_unavailable');

    const endpoints = await http(s.url, { path: '/admin/v1/webhook-endpoints' });
    expect(endpoints).toEqual({ status: 200, body: { data: [] } });
    // Before the app's logger is up the line goes to stderr at once; after, to stdout in batches (every 250 ms).
    const stoppedLine = new RegExp(`stream profile-${victimId} stopped at position \\d+ \\(AttributesUpdated\\)`);
    for (const deadline = Date.now() + 3000; !stoppedLine.test(s.stdout + s.stderr) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(s.stdout + s.stderr).toMatch(stoppedLine);
    await s.stop();

    const verified = ledgerCli(true, 'verify');
    expect(verified.out).toMatch(new RegExp(`profile-${victimId} at position \\d+ \\(AttributesUpdated\\)`));
    expect(verified.code).toBe(1);
  }, 90_000);

  it('after the fix, `ledger rebuild` resumes the stream; verify then finds nothing, and the legacy endpoint events still change nothing', async () => {
    const rebuilt = ledgerCli(false, 'rebuild');
    expect(rebuilt.out).toMatch(/Rebuilt read models/);
    expect(rebuilt.code).toBe(0);
    const s = await start(false);
    const victim = await profileOf('victim');
    expect(victim.status).toBe(200);
    expect(victim.body.data.custom_attributes).toEqual([{ key: 'poisoned', value: 'yes' }]);
    expect(victim.body.data.access_levels.map((a: { access_level_id: string }) => a.access_level_id)).toEqual(['premium']);
    expect((await http(s.url, { path: '/admin/v1/webhook-endpoints' })).body.data).toEqual([]);
    await s.stop();
    const verified = ledgerCli(false, 'verify');
    expect(verified.out).toMatch(/match/);
    expect(verified.code).toBe(0);
  }, 90_000);
});
