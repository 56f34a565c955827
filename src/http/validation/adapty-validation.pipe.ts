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

/** Deeper than any Adapty body (installation_meta, price, offer, custom_attributes items are 2–3 levels). */
const MAX_BODY_DEPTH = 32;

/** True when `value` nests objects/arrays deeper than `max` (iterative: a 1 MiB body can nest ~500k levels). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
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
      // Nest's and class-transformer's walks recurse: a deeply nested body would overflow the stack (a 500).
      if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
        throw new DomainErrorException([validationError('non_field_errors', 'Invalid data. The JSON body is nested too deeply.')]);
      }
      return super.transform(body, metadata);
    }
    return super.transform(value, metadata);
  }
}
