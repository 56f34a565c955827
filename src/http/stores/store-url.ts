import type { FastifyRequest } from 'fastify';

/** Where this request reached the ledger (a proxy's X-Forwarded-* included): the origin of the URLs to paste into a store's console. */
export function originOf(request: FastifyRequest): string | null {
  const first = (value: string | string[] | undefined) => String(value ?? '').split(',')[0].trim() || undefined;
  const proto = first(request.headers['x-forwarded-proto']) ?? request.protocol;
  const host = first(request.headers['x-forwarded-host']) ?? request.headers.host;
  return host ? `${proto}://${host}` : null;
}

/** The notification URL to paste into the store's console. */
export function withUrl<V extends { notification_path: string }>(view: V, request: FastifyRequest): V & { notification_url: string | null } {
  const origin = originOf(request);
  return { ...view, notification_url: origin === null ? null : `${origin}${view.notification_path}` };
}

