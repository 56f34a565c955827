import { ConfigError, loadConfig } from './config';

describe('configuration: PostgreSQL event store', () => {
  const load = (env: Record<string, string>) => loadConfig({ API_KEYS: 'app1:x', DATA_DIR: '/tmp/ledger-config-spec', ...env }, { generateKey: false });

  it.each(['postgres://ledger:pw@db.internal:5432/ledger', 'postgresql://ledger:pw@db.internal/ledger?sslmode=require', 'POSTGRES://ledger@10.0.0.5/ledger'])(
    'accepts %s as EVENT_STORE_URL',
    (url) => {
      expect(load({ EVENT_STORE_URL: url }).eventStoreUrl).toBe(url);
    },
  );

  it('accepts a unix socket folder given as ?host=', () => {
    expect(load({ EVENT_STORE_URL: 'postgres://ledger@/ledger?host=/var/run/postgresql' }).eventStoreUrl).toContain('host=');
  });

  it('keeps 10 connections per pool unless PG_POOL_SIZE says otherwise', () => {
    expect(load({}).pgPoolSize).toBe(10);
    expect(load({ PG_POOL_SIZE: '32' }).pgPoolSize).toBe(32);
  });

  it.each([
    ['postgres://ledger:hunter2@/ledger', /names no host/],
    ['postgres://ledger:hunter2@db.internal:5432', /names no database/],
    ['postgres://ledger:hunter2@db.internal:99999/ledger', /not a valid URL/],
    ['postgresql://ledger:hunter2@db.internal:5432/', /names no database/],
  ])('rejects %s with a message that does not repeat the password', (url, message) => {
    let error: unknown;
    try {
      load({ EVENT_STORE_URL: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^EVENT_STORE_URL /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it.each(['0', '-1', 'ten', '2.5'])('rejects PG_POOL_SIZE=%s', (size) => {
    expect(() => load({ PG_POOL_SIZE: size })).toThrow(/PG_POOL_SIZE must be an integer from 1 to 1000/);
  });

  it('names every scheme it accepts when the scheme is unknown', () => {
    expect(() => load({ EVENT_STORE_URL: 'mysql://x@y/z' })).toThrow(/sqlite:, postgres:\/\/ \(or postgresql:\/\/\) or esdb:\/\//);
  });
});

describe('configuration: where the read models live', () => {
  const load = (env: Record<string, string>) => loadConfig({ API_KEYS: 'app1:x', DATA_DIR: '/tmp/ledger-config-spec', ...env }, { generateKey: false });

  it('keeps them in the SQLite file beside an SQLite log', () => {
    expect(load({ EVENT_STORE_URL: 'sqlite:/tmp/ledger-config-spec/ledger.sqlite' }).readModelUrl).toBeNull();
  });

  it("puts them in the PostgreSQL event store's database unless READ_MODEL_URL names another", () => {
    const events = 'postgres://ledger:pw@db.internal:5432/ledger';
    expect(load({ EVENT_STORE_URL: events }).readModelUrl).toBe(events);
    expect(load({ EVENT_STORE_URL: events, READ_MODEL_URL: 'postgresql://rm:pw@other.internal/views' }).readModelUrl).toBe('postgresql://rm:pw@other.internal/views');
  });

  it('puts them in PostgreSQL beside EventStoreDB or SQLite when READ_MODEL_URL is set', () => {
    const url = 'postgres://rm:pw@db.internal:5432/views';
    expect(load({ EVENT_STORE_URL: 'esdb://localhost:2113?tls=false', READ_MODEL_URL: url }).readModelUrl).toBe(url);
    expect(load({ EVENT_STORE_URL: 'sqlite:/tmp/ledger-config-spec/ledger.sqlite', READ_MODEL_URL: url }).readModelUrl).toBe(url);
  });

  it.each([
    ['sqlite:/tmp/projections.sqlite', /must start with postgres:\/\/ or postgresql:\/\//],
    ['mysql://rm:hunter2@db.internal/views', /must start with postgres:\/\/ or postgresql:\/\//],
    ['postgres://rm:hunter2@/views', /names no host/],
    ['postgres://rm:hunter2@db.internal:5432', /names no database/],
    ['postgres://rm:hunter2@db.internal:99999/views', /not a valid URL/],
  ])('rejects READ_MODEL_URL=%s with a message that does not repeat the password', (url, message) => {
    let error: unknown;
    try {
      load({ READ_MODEL_URL: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^READ_MODEL_URL /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
