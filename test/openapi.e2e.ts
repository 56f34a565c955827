/**
 * The OpenAPI document as the built server (dist/, compiled with the @nestjs/swagger plugin
 * that reads DTO types) generates and serves it: valid OpenAPI 3.1, covering exactly the routes
 * Fastify registers, its schemas matching real responses, and equal to the committed openapi.json.
 */
import 'reflect-metadata';
import Ajv2020 from 'ajv/dist/2020';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');
const KEY = 'secret_openapi_app1';
const V2 = '/api/v2/server-side-api';

type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any>; securitySchemes: Record<string, any> } };

let app: { close(): Promise<void>; listen(o: object): Promise<unknown>; getHttpServer(): { address(): any } };
let document: Doc;
let base: string;
let dir: string;
const routes: Array<{ method: string; url: string }> = [];

beforeAll(async () => {
  if (!existsSync(join(DIST, 'app.factory.js'))) throw new Error('dist/ is missing: run npm run build (npm test does it in pretest)');
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createLedgerApp } = require(join(DIST, 'app.factory.js'));
  const { loadConfig } = require(join(DIST, 'config/config.js'));
  dir = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
  const config = loadConfig({ EVENT_STORE_URL: `sqlite:${join(dir, 'ledger.sqlite')}`, API_KEYS: `app1:${KEY}`, LOG_LEVEL: 'warn' });
  const built = await createLedgerApp(config, undefined, {
    onFastify: (fastify: any) =>
      fastify.addHook('onRoute', (r: { method: string | string[]; url: string }) => {
        for (const method of [r.method].flat()) routes.push({ method, url: r.url });
      }),
  });
  app = built.app;
  document = built.document;
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
});

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, options: { key?: string | null; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) headers.authorization = `Api-Key ${options.key ?? KEY}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

/** Routes of the document viewer and of the document itself: they serve the API's description, not the API. */
/** Pages for people, not API operations: the document itself, Swagger UI and the support console. */
const isPageRoute = (url: string) => url === '/openapi.json' || ['/docs', '/console'].some((p) => url === p || url.startsWith(`${p}/`));

it('is valid OpenAPI 3.1 (checked against the specification schema)', () => {
  // The validator is an ES module, which this Jest setup cannot import: it runs in its own node.
  const file = join(dir, 'document.json');
  writeFileSync(file, JSON.stringify(document));
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    const validator = new Validator();
    const result = await validator.validate(${JSON.stringify(file)});
    process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? [], version: validator.version }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
  expect(out).toEqual({ valid: true, errors: [], version: '3.1' });
  expect(document.openapi).toBe('3.1.0');
  // 3.0's `nullable` has no meaning in 3.1: none may be left.
  expect(JSON.stringify(document)).not.toContain('"nullable"');
});

it('documents exactly the routes Fastify registers: none missing, none extra', () => {
  const registered = new Set(
    routes
      .filter((r) => r.method !== 'HEAD' && !isPageRoute(r.url))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
  );
  const documented = new Set(
    Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)),
  );
  expect([...registered].filter((r) => !documented.has(r)).sort()).toEqual([]);
  expect([...documented].filter((d) => !registered.has(d)).sort()).toEqual([]);
  // Every face is there.
  for (const prefix of ['/api/v2/server-side-api/', '/admin/v1/access-levels', '/admin/v1/products', '/admin/v1/webhook-endpoints', '/admin/v1/webhook-deliveries', '/api/v1/sdk/', '/health/', '/metrics']) {
    expect([...documented].some((d) => d.includes(prefix))).toBe(true);
  }
  expect(documented.has(`GET ${V2}/profile/history`)).toBe(true);
});

it('every API operation needs the Api-Key scheme (store notifications: the store’s signature), answers 401/429 in the envelope; the probes and /metrics need no key', () => {
  expect(document.components.securitySchemes['Api-Key']).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Authorization' }));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (path.startsWith('/health') || path === '/metrics') {
        expect([where, op.security ?? []]).toEqual([where, path === '/metrics' ? [{ 'metrics-token': [] }] : []]);
        continue;
      }
      // A store's notifications carry the store's own signature instead of a key.
      expect([where, op.security]).toEqual([where, path.startsWith('/stores/') ? undefined : [{ 'Api-Key': [] }]]);
      // Stripe refuses a bad signature with 400, as Stripe's own examples do: its door has no 401.
      for (const status of path.startsWith('/stores/stripe/') ? ['429'] : ['401', '429']) {
        expect([where, status, op.responses[status]?.content?.['application/json']?.schema]).toEqual([
          where,
          status,
          { $ref: '#/components/schemas/ErrorEnvelopeDto' },
        ]);
      }
      // One documented success.
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect([where, success.length]).toEqual([where, 1]);
    }
  }
});

it('v2 profile and purchase operations document the profile headers; the envelope lists every error code', () => {
  const { MAPPED_ERROR_CODES } = require(join(DIST, 'http/errors/error-envelope.js'));
  for (const [path, item] of Object.entries(document.paths).filter(([p]) => p.startsWith(V2))) {
    for (const op of Object.values(item)) {
      const headers = op.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name);
      expect([path, headers.sort()]).toEqual([path, ['adapty-customer-user-id', 'adapty-profile-id']]);
    }
  }
  expect([...document.components.schemas.ErrorEnvelopeDto.properties.error_code.enum].sort()).toEqual([...MAPPED_ERROR_CODES].sort());
  expect(MAPPED_ERROR_CODES).toContain('rate_limited');
});

it('real responses match the schemas the document gives them', async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // OpenAPI's own annotation keyword.
  ajv.addKeyword('example');
  const check = (reply: { status: number; body: unknown }, path: string, method: string, expected = 200) => {
    expect([path, method, reply.status]).toEqual([path, method, expected]);
    const response = document.paths[path][method].responses[String(reply.status)];
    expect([path, method, reply.status, response !== undefined]).toEqual([path, method, reply.status, true]);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    const validate = ajv.compile({ components: document.components, ...schema });
    const ok = validate(reply.body);
    expect([path, method, reply.status, ok ? [] : validate.errors]).toEqual([path, method, reply.status, []]);
  };
  const user = { 'adapty-customer-user-id': 'openapi-user' };
  const PROFILE = `${V2}/profile`;
  check(await call('POST', `${PROFILE}/`, { headers: user, body: { first_name: 'Ada', custom_attributes: [{ key: 'level', value: 3 }, { key: 'tier', value: 'gold' }] } }), PROFILE, 'post');
  check(await call('PUT', '/admin/v1/products/openapi_monthly', { body: { access_level_id: 'premium' } }), '/admin/v1/products/{store_product_id}', 'put');
  check(await call('PUT', '/admin/v1/access-levels/pro'), '/admin/v1/access-levels/{access_level_id}', 'put');
  check(await call('GET', '/admin/v1/access-levels'), '/admin/v1/access-levels', 'get');
  check(await call('GET', '/admin/v1/products'), '/admin/v1/products', 'get');
  const now = Date.now();
  check(
    await call('POST', `${V2}/purchase/set/transaction/`, {
      headers: user,
      body: {
        purchase_type: 'subscription',
        store: 'app_store',
        environment: 'Sandbox',
        store_product_id: 'openapi_monthly',
        store_transaction_id: 'oa-1',
        store_original_transaction_id: 'oa-1',
        price: { country: 'US', currency: 'USD', value: 9.99 },
        purchased_at: new Date(now - 86400e3).toISOString(),
        originally_purchased_at: new Date(now - 86400e3).toISOString(),
        expires_at: new Date(now + 29 * 86400e3).toISOString(),
        renew_status: true,
        offer: { category: 'introductory', type: 'pay_up_front' },
      },
    }),
    `${V2}/purchase/set/transaction`,
    'post',
  );
  check(
    await call('POST', `${V2}/purchase/set/transaction/`, {
      headers: user,
      body: {
        purchase_type: 'one_time_purchase',
        store: 'my_store',
        store_product_id: 'lifetime',
        store_transaction_id: 'oa-2',
        store_original_transaction_id: 'oa-2',
        price: { country: 'US', currency: 'USD', value: 49 },
        purchased_at: new Date(now - 3600e3).toISOString(),
      },
    }),
    `${V2}/purchase/set/transaction`,
    'post',
  );
  check(await call('POST', `${V2}/purchase/profile/grant/access-level/`, { headers: user, body: { access_level_id: 'pro', expires_at: new Date(now + 86400e3).toISOString() } }), `${V2}/purchase/profile/grant/access-level`, 'post');
  const profile = await call('GET', `${PROFILE}/`, { headers: user });
  expect(profile.body.data.access_levels.length).toBeGreaterThan(0);
  expect(profile.body.data.subscriptions.length).toBe(1);
  expect(profile.body.data.non_subscriptions.length).toBe(1);
  check(profile, PROFILE, 'get');
  check(await call('GET', `${PROFILE}/history/?limit=2`, { headers: user }), `${PROFILE}/history`, 'get');
  check(await call('GET', '/api/v1/sdk/profiles/openapi-user/?extended=1'), '/api/v1/sdk/profiles/{id}', 'get');
  check(await call('POST', '/api/v1/sdk/profiles/openapi-user/paid-access-levels/pro/revoke/', { body: { is_refund: false } }), '/api/v1/sdk/profiles/{id}/paid-access-levels/{access_level}/revoke', 'post');
  check(await call('GET', '/admin/v1/webhook-endpoints'), '/admin/v1/webhook-endpoints', 'get');
  // Errors: the envelope under each status.
  check(await call('GET', `${PROFILE}/`, { key: null, headers: user }), PROFILE, 'get', 401);
  check(await call('GET', `${PROFILE}/`, { headers: { 'adapty-customer-user-id': 'nobody' } }), PROFILE, 'get', 404);
  check(await call('POST', `${V2}/purchase/profile/grant/access-level/`, { headers: user, body: {} }), `${V2}/purchase/profile/grant/access-level`, 'post', 400);
  check(await call('POST', '/api/v1/sdk/purchase/stripe/token/validate/', { body: {} }), '/api/v1/sdk/purchase/stripe/token/validate', 'post', 400);
  check(await call('GET', '/health/live', { key: null }), '/health/live', 'get');
  check(await call('GET', '/health/ready', { key: null }), '/health/ready', 'get');
});

it('is served without a key at /openapi.json, with Swagger UI at /docs, and equals the committed openapi.json (npm run openapi)', async () => {
  const served = await call('GET', '/openapi.json', { key: null });
  expect(served.status).toBe(200);
  expect(served.body).toEqual(JSON.parse(JSON.stringify(document)));
  const docs = await call('GET', '/docs', { key: null });
  expect(docs.status).toBe(200);
  expect(docs.text).toContain('swagger-ui');
  const init = await call('GET', '/docs/swagger-ui-init.js', { key: null });
  expect(init.status).toBe(200);
  const { serializeDocument } = require(join(DIST, 'http/openapi/write-openapi.js'));
  const committed = readFileSync(join(ROOT, 'openapi.json'), 'utf8');
  // A difference here means openapi.json is stale: run `npm run openapi` and commit it.
  expect(committed).toBe(serializeDocument(document));
});
