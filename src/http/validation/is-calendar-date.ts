import { ValidateBy } from 'class-validator';
import { parseInstant } from '../../domain/shared/time';

/** `YYYY-MM-DD` that names a real day (no February 30th). */
export const IsCalendarDate = (message: string): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isCalendarDate',
      validator: { validate: (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && parseInstant(v) !== null },
    },
    { message },
  );
