import { DomainError, isDomainError } from '../../domain/shared/domain-error';

/** Carries domain errors out of a controller to the exception filter. */
export class DomainErrorException extends Error {
  constructor(readonly errors: [DomainError, ...DomainError[]]) {
    super(errors[0].message);
  }
}

export function unwrap<T>(result: T | DomainError): T {
  if (isDomainError(result)) throw new DomainErrorException([result]);
  return result;
}
