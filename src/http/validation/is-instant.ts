import { registerDecorator, ValidationOptions } from 'class-validator';
import { parseInstant } from '../../domain/shared/time';

/** An ISO 8601 date-time in any of the forms Adapty accepts. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an ISO 8601 date-time, e.g. 2024-01-15T10:30:00Z.`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== null },
    });
}

/** Input already validated as an instant (or null/absent) → normalised ISO or null. */
export const instantOrNull = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : parseInstant(value);
