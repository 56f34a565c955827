import { request } from 'node:http';
import { KEYS } from './ledger-server';

export interface RawReply {
  status: number;
  body: any;
  text: string;
  contentType: string | undefined;
}

/**
 * One HTTP request with the path sent byte for byte (fetch would resolve `../` and re-encode): what a
 * hostile client can send. `key` defaults to app1's; null sends no Authorization.
 */
export function rawCall(
  base: string,
  method: string,
  path: string,
  options: { key?: string | null; headers?: Record<string, string>; body?: string } = {},
): Promise<RawReply> {
  const url = new URL(base);
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEYS.app1 : options.key;
  if (key !== null) headers.authorization = `Api-Key ${key}`;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body, text, contentType: res.headers['content-type'] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

