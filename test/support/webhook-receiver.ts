import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

export type ReceiverMode = 'ok' | 'down' | 'gone' | { failFirst: number };

/**
 * A webhook receiver on loopback written from Adapty's and Standard Webhooks' public docs:
 * it answers Adapty's verification request (a body without `event_type`) and records every other POST.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Verification requests' bodies, in arrival order. */
  readonly handshakes: unknown[] = [];
  /** TCP connections accepted so far (the SSRF tests check that a refused URL gets none). */
  connections = 0;
  mode: ReceiverMode = 'ok';
  private readonly attemptsById = new Map<string, number>();
  private server?: Server;
  private waiters: Array<() => void> = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = raw ? JSON.parse(raw) : null;
        if (body && typeof body.event_type !== 'string') {
          // Adapty's verification request in either form: {} (current) or {"adapty_check": x} (older).
          this.handshakes.push(body);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(typeof body.adapty_check === 'string' ? { adapty_check_response: body.adapty_check } : {}));
          return;
        }
        const id = String(req.headers['webhook-id']);
        const attempt = (this.attemptsById.get(id) ?? 0) + 1;
        this.attemptsById.set(id, attempt);
        const mode = this.mode;
        if (mode === 'down') return void res.writeHead(503).end();
        if (mode === 'gone') return void res.writeHead(410).end();
        if (typeof mode === 'object' && attempt <= mode.failFirst) return void res.writeHead(500).end();
        this.received.push({ headers: req.headers, raw, body, at: Date.now() });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
        this.waiters.forEach((w) => w());
      });
    });
    this.server.on('connection', () => (this.connections += 1));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  attempts(webhookId: string): number {
    return this.attemptsById.get(webhookId) ?? 0;
  }

  /** Waits until `predicate` holds over what was received, or fails after `timeoutMs`. */
  async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(`webhook receiver: condition not met in ${timeoutMs} ms; got ${this.received.map((r) => r.body.event_type).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
    return this.received;
  }

  /** Closes every open connection (kept-alive ones included), so the next request has to connect anew. */
  dropConnections(): void {
    this.server?.closeAllConnections();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
