import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

export interface StripeStandIn {
  /** For STRIPE_API_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  /** Objects by id (sub_, pi_, cs_, ch_, cus_, in_): what GET /v1/<resource>/<id> answers. */
  objects: Map<string, Record<string, unknown>>;
  /** Every API call: method and path with query. */
  requests: string[];
  /** The next `count` calls answer `status`. */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

const RESOURCES: ReadonlyMap<string, string> = new Map([
  ['subscriptions', 'sub_'],
  ['payment_intents', 'pi_'],
  ['checkout/sessions', 'cs_'],
  ['charges', 'ch_'],
  ['customers', 'cus_'],
  ['invoices', 'in_'],
]);

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${Math.random().toString(36).slice(2)}` });
  res.end(JSON.stringify(body));
};

const stripeError = (status: number, message: string, code?: string) => ({ error: { type: status === 401 ? 'invalid_request_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message, ...(code ? { code } : {}) } });

/**
 * Stripe's API on loopback for the `stripe` client (host, port and protocol from STRIPE_API_BASE_URL):
 * retrieving the objects a test put in `objects` (a checkout session with its `line_items` when
 * asked to expand them) and listing a subscription's invoices, with Stripe's error shapes.
 */
export async function startStripeStandIn(apiKey = 'rk_test_standin_key'): Promise<StripeStandIn> {
  const objects = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (failures.count > 0) {
      failures.count--;
      send(res, failures.status, stripeError(failures.status, 'stand-in failure'));
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      send(res, 401, stripeError(401, 'Invalid API Key provided'));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/invoices') {
      const subscription = url.searchParams.get('subscription');
      const data = [...objects.values()]
        .filter((o) => o.object === 'invoice' && (o.subscription === subscription || (o.parent as any)?.subscription_details?.subscription === subscription))
        .sort((a, b) => Number(b.created) - Number(a.created));
      send(res, 200, { object: 'list', data, has_more: false, url: '/v1/invoices' });
      return;
    }
    const match = /^\/v1\/(.+)\/([^/]+)$/.exec(url.pathname);
    const resource = match ? RESOURCES.get(match[1]) : undefined;
    if (req.method !== 'GET' || !match || resource === undefined || !match[2].startsWith(resource)) {
      send(res, 404, stripeError(404, `Unrecognized request URL (${req.method}: ${url.pathname})`));
      return;
    }
    const found = objects.get(decodeURIComponent(match[2]));
    if (!found) {
      send(res, 404, stripeError(404, `No such ${match[1]}: '${match[2]}'`, 'resource_missing'));
      return;
    }
    send(res, 200, found);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    apiKey,
    objects,
    requests,
    failNext(count, status = 500) {
      failures = { count, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
