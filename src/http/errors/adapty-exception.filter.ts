import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/shared/domain-error';
import { DomainErrorException } from './domain-error.exception';
import { envelopeOf, ErrorEnvelope } from './error-envelope';

const CODE_BY_STATUS = new Map<number, { code: string; message: string }>([
  [400, { code: 'validation_error', message: 'Invalid request.' }],
  [401, { code: 'not_authenticated', message: 'Authentication credentials were not provided.' }],
  [404, { code: 'not_found', message: 'Not found.' }],
  [413, { code: 'payload_too_large', message: 'Request body is too large.' }],
  [415, { code: 'unsupported_media_type', message: 'Unsupported media type: send application/json.' }],
]);

/** Turns anything thrown into Adapty's envelope; a framework 4xx stays a 4xx, never a 500. */
export function toEnvelope(exception: unknown, logger: { error(message: string): void }): ErrorEnvelope {
  if (exception instanceof DomainErrorException) {
    const [first, ...rest] = exception.errors;
    return envelopeOf(first, rest);
  }
  // The application throws a DomainError where a result cannot carry one (e.g. a stream it cannot fold).
  if (exception instanceof DomainError) return envelopeOf(exception);
  const status =
    exception instanceof HttpException
      ? exception.getStatus()
      : typeof (exception as { statusCode?: unknown })?.statusCode === 'number'
        ? (exception as { statusCode: number }).statusCode
        : 500;
  if (status >= 400 && status < 500) {
    const known = CODE_BY_STATUS.get(status) ?? { code: 'validation_error', message: 'Invalid request.' };
    const detail = exception instanceof Error && status === 400 ? exception.message : known.message;
    const envelope = envelopeOf(new DomainError(known.code, status === 400 ? 'non_field_errors' : null, detail));
    return { ...envelope, status_code: status };
  }
  logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
  return envelopeOf(new DomainError('internal_error', null, 'Internal server error'));
}

@Catch()
export class AdaptyExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // The request's own logger: the line carries its request id.
    const log = http.getRequest<FastifyRequest>()?.log;
    const envelope = toEnvelope(exception, log ? { error: (message) => log.error({ context: 'Errors' }, message) } : this.logger);
    void reply.status(envelope.status_code).header('content-type', 'application/json; charset=utf-8').send(envelope);
  }
}
