import type { FastifyRequest } from 'fastify';

/** The URL to paste into the store's console, as this request reached the ledger (a proxy's X-Forwarded-* included). */
export function withUrl<V extends { notification_path: string }>(view: V, request: FastifyRequest): V & { notification_url: string | null } {
  const first = (value: string | string[] | undefined) => String(value ?? '').split(',')[0].trim() || undefined;
  const proto = first(request.headers['x-forwarded-proto']) ?? request.protocol;
  const host = first(request.headers['x-forwarded-host']) ?? request.headers.host;
  return { ...view, notification_url: host ? `${proto}://${host}${view.notification_path}` : null };
}

