import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { DomainError } from '../../domain/shared/domain-error';
import { envelopeOf } from './error-envelope';

/** Node's parser errors that reach no route, by the code Node gives them. */
function errorOf(code: string | undefined): DomainError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new DomainError('request_timeout', null, 'The request was not received in time.');
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new DomainError('request_header_fields_too_large', null, 'The request headers are too large.');
  }
  return new DomainError('bad_request', null, 'The request could not be parsed as HTTP.');
}

/**
 * Refusals made before Fastify has a request (broken framing, oversized headers, a client too slow
 * to send its headers) answer in the Adapty envelope too. The connection is closed after the
 * answer: once framing is lost, nothing more read from it can be trusted.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const envelope = envelopeOf(errorOf(error.code));
    const body = JSON.stringify(envelope);
    socket.write(
      `HTTP/1.1 ${envelope.status_code} ${STATUS_CODES[envelope.status_code]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
