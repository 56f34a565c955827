import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAPPED_ERROR_CODES } from '../src/http/errors/error-envelope';

/** "Every error code has a test": each code the envelope can carry is asserted somewhere under test/. */
describe('error codes', () => {
  it('every mapped error code is asserted by a test', () => {
    const root = join(__dirname, '..');
    const files = [
      ...readdirSync(__dirname).filter((f) => f.endsWith('.e2e.ts')).map((f) => join(__dirname, f)),
      ...readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.spec.ts'))
        .map((f) => join(root, 'src', f)),
    ];
    const tests = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const untested = MAPPED_ERROR_CODES.filter((code) => !new RegExp(`['"\`]${code}['"\`]`).test(tests));
    expect(untested).toEqual([]);
  });
});
