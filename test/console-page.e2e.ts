import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { envelope, expectEnvelope } from './support/fixtures';
import { call, RunningLedger, startLedger } from './support/ledger-server';

/** The support console's static files, served by the ledger itself without a key (the data behind them still needs one). */
describe('GET /console', () => {
  let ledger: RunningLedger;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${ledger.url}${path}`, { headers });

  beforeAll(async () => {
    ledger = await startLedger();
  });

  afterAll(async () => {
    await ledger.close();
  });

  it('serves the page without a key, with a policy that lets it load and talk to nothing but this server', async () => {
    for (const path of ['/console', '/console/']) {
      const r = await get(path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(await r.text()).toContain('<script type="module" src="/console/main.js"></script>');
    }
  });

  it('serves every module and stylesheet the page names, and the page preloads every module there is', async () => {
    const html = await (await get('/console')).text();
    const named = [...html.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)].map((m) => m[1]);
    const modules = readdirSync(join(__dirname, '..', 'src', 'console')).filter((f) => f.endsWith('.js'));
    expect(named.filter((f) => f.endsWith('.js')).sort()).toEqual(modules.sort());
    for (const file of named) {
      const r = await get(`/console/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
    }
  });

  it('answers 304 to a revalidation of an unchanged file', async () => {
    const first = await get('/console/main.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await get('/console/main.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves nothing else: unknown names, other folders and its own config are 404 envelopes', async () => {
    for (const path of ['/console/nope.js', '/console/tsconfig.json', '/console/..%2Fpackage.json', '/console/%2E%2E%2Fapp.module.ts', '/console/a/b.js']) {
      const r = await call(ledger.url, { path, key: null });
      expectEnvelope(r, 404);
      expect(r.body).toEqual(envelope(404, 'not_found', null, 'Not found.'));
    }
  });

  it('leaves the API behind the key', async () => {
    const r = await call(ledger.url, { path: '/admin/v1/access-levels', key: null });
    expectEnvelope(r, 401);
  });
});
