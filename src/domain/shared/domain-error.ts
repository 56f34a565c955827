/**
 * A rule broken by a request. Domain code returns these as values; the HTTP layer maps
 * each code to its status and Adapty envelope in one table (http/errors/error-status.ts).
 */
export class DomainError {
  constructor(
    readonly code: string,
    readonly source: string | null,
    readonly message: string,
  ) {}
}

export const isDomainError = (value: unknown): value is DomainError => value instanceof DomainError;

export const profileNotFound = (): DomainError => new DomainError('profile_does_not_exist', null, 'Profile not found');

export const validationError = (source: string | null, message: string): DomainError =>
  new DomainError('validation_error', source, message);
