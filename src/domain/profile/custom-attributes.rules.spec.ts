import { checkCustomAttributeCount, MAX_CUSTOM_ATTRIBUTES, parseCustomAttributes } from './custom-attributes.rules';
import { errorOf } from '../spec-support';

const KEY_MESSAGE = 'key must be 1 to 30 characters: letters, numbers, dashes, points and underscores only.';
const refused = (message: string) => ({ code: 'validation_error', source: 'custom_attributes', message });

describe('parseCustomAttributes', () => {
  it('turns the wire list into changes', () => {
    expect(parseCustomAttributes([{ key: 'favourite_sport', value: 'yoga' }, { key: 'age', value: 31.5 }])).toEqual({ favourite_sport: 'yoga', age: 31.5 });
  });

  it.each(['a', 'A-Z_0.9', 'x'.repeat(30), 'with.dots', 'with-dash', '123'])('accepts key %p', (key) => {
    expect(parseCustomAttributes([{ key, value: 1 }])).toEqual({ [key]: 1 });
  });

  it.each([
    ['31 characters', 'k'.repeat(31)],
    ['empty', ''],
    ['a space', 'my key'],
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['non-ASCII letters', 'clé'],
    ['a trailing newline', 'key\n'],
  ])('refuses a key with %s', (_name, key) => {
    expect(errorOf(parseCustomAttributes([{ key, value: 'v' }]))).toEqual(refused(KEY_MESSAGE));
  });

  it('refuses a key that is not a string', () => {
    expect(errorOf(parseCustomAttributes([{ key: 5, value: 'v' }]))).toEqual(refused(KEY_MESSAGE));
    expect(errorOf(parseCustomAttributes([{ value: 'v' }]))).toEqual(refused(KEY_MESSAGE));
  });

  it('values: at most 50 characters', () => {
    expect(parseCustomAttributes([{ key: 'k', value: 'v'.repeat(50) }])).toEqual({ k: 'v'.repeat(50) });
    expect(errorOf(parseCustomAttributes([{ key: 'k', value: 'v'.repeat(51) }]))).toEqual(refused('value of k must be at most 50 characters.'));
  });

  it('null, undefined and "" delete the key', () => {
    expect(parseCustomAttributes([{ key: 'a', value: null }, { key: 'b', value: '' }, { key: 'c' }])).toEqual({ a: null, b: null, c: null });
  });

  it('booleans become 1 and 0', () => {
    expect(parseCustomAttributes([{ key: 't', value: true }, { key: 'f', value: false }])).toEqual({ t: 1, f: 0 });
  });

  it('0 is a value, not a deletion', () => {
    expect(parseCustomAttributes([{ key: 'z', value: 0 }])).toEqual({ z: 0 });
  });

  it.each([
    ['an object', { a: 1 }],
    ['an array', [1]],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('refuses a value that is %s', (_name, value) => {
    expect(errorOf(parseCustomAttributes([{ key: 'k', value }]))).toEqual(refused('value of k must be a string or a number.'));
  });

  it('refuses an empty list', () => {
    expect(errorOf(parseCustomAttributes([]))).toEqual(refused('custom_attributes must contain at least one key/value pair.'));
  });

  it('refuses something that is not a list, and items that are not objects', () => {
    expect(errorOf(parseCustomAttributes({ a: 1 }))).toEqual(refused('Expected a list of {key, value} items.'));
    expect(errorOf(parseCustomAttributes(null))).toEqual(refused('Expected a list of {key, value} items.'));
    expect(errorOf(parseCustomAttributes(['a']))).toEqual(refused('Each item must be an object with key and value.'));
    expect(errorOf(parseCustomAttributes([null]))).toEqual(refused('Each item must be an object with key and value.'));
    expect(errorOf(parseCustomAttributes([['k', 'v']]))).toEqual(refused('Each item must be an object with key and value.'));
  });

  it('a later item with the same key wins', () => {
    expect(parseCustomAttributes([{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }])).toEqual({ k: 'b' });
  });
});

describe('checkCustomAttributeCount (at most 30 keys after merge)', () => {
  const keys = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));

  const current = (n: number) => new Map(Object.entries(keys(n)));

  it('the limit is 30', () => {
    expect(MAX_CUSTOM_ATTRIBUTES).toBe(30);
  });

  it('30 is fine, 31 is refused', () => {
    expect(checkCustomAttributeCount(new Map(), keys(30))).toBeNull();
    expect(errorOf(checkCustomAttributeCount(new Map(), keys(31)))).toEqual(refused('A profile can have at most 30 custom attributes.'));
  });

  it('counts the merge of current and changes', () => {
    expect(errorOf(checkCustomAttributeCount(current(20), keys(11, 'n'))).code).toBe('validation_error');
    expect(checkCustomAttributeCount(current(20), keys(10, 'n'))).toBeNull();
  });

  it('overwriting existing keys does not add', () => {
    expect(checkCustomAttributeCount(current(30), { k0: 'x', k29: 'y' })).toBeNull();
  });

  it('deletions make room', () => {
    expect(checkCustomAttributeCount(current(30), { k0: null, extra: 1 })).toBeNull();
    expect(errorOf(checkCustomAttributeCount(current(30), { absent: null, extra: 1 })).code).toBe('validation_error');
  });
});
