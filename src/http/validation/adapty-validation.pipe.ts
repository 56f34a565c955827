import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { DomainErrorException } from '../errors/domain-error.exception';

function flatten(errors: ValidationError[], prefix = ''): DomainError[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => validationError(path, message));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * class-validator DTOs with Adapty's envelope: every broken field is listed with its path as
 * `source`. A body that is not a JSON object is refused before validation.
 */
@Injectable()
export class AdaptyValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const [first, ...rest] = flatten(errors);
        return new DomainErrorException([first ?? validationError(null, 'Invalid request.'), ...rest]);
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const body = value === undefined || value === null ? {} : value;
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new DomainErrorException([validationError('non_field_errors', 'Invalid data. Expected a JSON object.')]);
      }
      return super.transform(body, metadata);
    }
    return super.transform(value, metadata);
  }
}
