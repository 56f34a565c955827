/**
 * Configuration: one table of variables feeds validation at start (every mistake reported, one
 * line each, exit 2), `--help`, and the README's table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config';
import { VARIABLES } from '../src/config/variables';
import { cleanupAll, MAIN, spawnLedger, tempDir } from './support/process-ledger';

afterAll(cleanupAll);

const ROOT = join(__dirname, '..');

it('`node dist/main.js --help` prints every variable with its default, and exits 0 without starting', () => {
  const run = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH, PORT: 'not-a-port' } });
  expect(run.status).toBe(0);
  expect(run.stderr).toBe('');
  for (const v of VARIABLES) {
    expect(run.stdout).toContain(`  ${v.name} `);
    expect(run.stdout).toContain(`default: ${v.default}`);
  }
  expect(run.stdout).toMatch(/\/health\/ready/);
});

it('the README\'s configuration table lists exactly the variables the server reads', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## ', 3));
  const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  expect([...documented].sort()).toEqual(VARIABLES.map((v) => v.name).sort());
});

it('every mistake is reported, one line each, not only the first', () => {
  const env = {
    EVENT_STORE_URL: 'sqlite:/tmp/never-created/ledger.sqlite',
    API_KEYS: 'a:b',
    PORT: '70000',
    LOG_LEVEL: 'chatty',
    METRICS_ENABLED: 'perhaps',
    SHUTDOWN_TIMEOUT_MS: '0',
    MAX_CONNECTIONS: '1.5',
    WEBHOOK_RETRY_SCHEDULE: '1,x',
  };
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems).toEqual([
    'PORT must be an integer from 0 to 65535 (got "70000")',
    'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "chatty")',
    'METRICS_ENABLED must be 1 or 0 (true/false) (got "perhaps")',
    'SHUTDOWN_TIMEOUT_MS must be an integer >= 1 (got "0")',
    'MAX_CONNECTIONS must be an integer >= 1 (got "1.5")',
    expect.stringMatching(/^WEBHOOK_RETRY_SCHEDULE must be comma-separated non-negative seconds/),
  ]);
  expect(existsSync('/tmp/never-created')).toBe(false);
});

it('the server prints each mistake on its own line and exits 2; the secret in a malformed API_KEYS is not echoed', async () => {
  const dir = tempDir();
  const proc = await spawnLedger({
    EVENT_STORE_URL: `sqlite:${join(dir, 'ledger.sqlite')}`,
    API_KEYS: 'app1-no-colon-secret_zzz',
    PORT: '0',
    KEEP_ALIVE_TIMEOUT_MS: 'soon',
    BODY_LIMIT_BYTES: '-5',
  });
  const exit = await proc.exited;
  expect(exit).toEqual({ code: 2, signal: null });
  expect(proc.stderr.trim().split('\n')).toEqual([
    'Configuration error: BODY_LIMIT_BYTES must be an integer >= 1 (got "-5")',
    'Configuration error: KEEP_ALIVE_TIMEOUT_MS must be an integer >= 1 (got "soon")',
    'Configuration error: API_KEYS entry 1 must be appId:secret',
  ]);
  expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
});

it('a malformed READ_MODEL_URL stops the server with exit 2 and a clear line that does not echo the password', async () => {
  const dir = tempDir();
  const proc = await spawnLedger({
    EVENT_STORE_URL: `sqlite:${join(dir, 'ledger.sqlite')}`,
    API_KEYS: 'app1:secret',
    PORT: '0',
    READ_MODEL_URL: 'postgres://ledger:hunter2@db.internal:5432',
  });
  const exit = await proc.exited;
  expect(exit).toEqual({ code: 2, signal: null });
  expect(proc.stderr.trim().split('\n')).toEqual(['Configuration error: READ_MODEL_URL names no database (postgres://user:password@host:5432/database)']);
  expect(proc.stdout + proc.stderr).not.toContain('hunter2');
  expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
});

it('defaults: every variable may be left unset', () => {
  const config = loadConfig({ API_KEYS: 'a:b', EVENT_STORE_URL: 'sqlite::memory:' }, { generateKey: false });
  expect(config).toEqual(
    expect.objectContaining({
      port: 3000,
      logLevel: 'info',
      logRequests: true,
      metricsEnabled: true,
      metricsToken: null,
      rateLimitPerMinute: 0,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 75_000,
      shutdownTimeoutMs: 25_000,
    }),
  );
});
