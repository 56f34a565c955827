import { Logger } from '@nestjs/common';
import { toEnvelope } from './adapty-exception.filter';

describe('toEnvelope', () => {
  const quiet = new Logger('test');
  beforeAll(() => jest.spyOn(quiet, 'error').mockImplementation(() => undefined));

  it('an unexpected error is a 500 internal_error envelope that says nothing of the error', () => {
    expect(toEnvelope(new Error('secret detail: /var/lib/ledger'), quiet)).toEqual({
      errors: [{ source: null, errors: ['Internal server error'] }],
      error_code: 'internal_error',
      status_code: 500,
    });
  });

  it('a framework 4xx stays a 4xx', () => {
    expect(toEnvelope(Object.assign(new Error('nope'), { statusCode: 405 }), quiet)).toMatchObject({ error_code: 'validation_error', status_code: 405 });
  });
});
