import { DomainErrorException } from '../errors/domain-error.exception';
import { decodeBase64UrlText, isExtended, v1ProfileIdOf } from './v1-profile-id';

describe('v1 path ids in base64url (contract §1.4)', () => {
  it.each([
    ['MTIzKzQ1Ng==', '123+456'],
    ['MTIzKzQ1Ng', '123+456'],
    ['YWJjL2RlZg==', 'abc/def'],
    ['MDEyPzAxMg==', '012?012'],
    ['w6nDqA', 'éè'],
    ['Pz8-', '??>'],
    ['Pz8_', '???'],
  ])('%p → %p', (encoded, id) => {
    expect(decodeBase64UrlText(encoded)).toBe(id);
  });

  it.each([
    ['plain text with an impossible length', 'abcde'],
    ['bytes that are not UTF-8', 'abc'],
    ['standard base64 characters', 'Pz8/'],
    ['standard base64 plus', 'Pz8+'],
    ['stray bits in the last character', 'MTIzKzQ1Nh'],
    ['padding that does not complete a block', 'MTIzKzQ1Ng='],
    ['too much padding', 'MTIzKzQ1Ng==='],
    ['empty', ''],
    ['only padding', '=='],
    ['a dot', 'YWJj.'],
  ])('%s is refused (%p)', (_why, encoded) => {
    expect(decodeBase64UrlText(encoded)).toBeNull();
  });

  it('without the flag the id is taken as is, profile id or customer user id', () => {
    expect(v1ProfileIdOf('MTIzKzQ1Ng==', {})).toEqual({ value: 'MTIzKzQ1Ng==', customerUserIdOnly: false });
    expect(v1ProfileIdOf('abc', { is_user_id_base64url_encoded: '0' })).toEqual({ value: 'abc', customerUserIdOnly: false });
  });

  it('with the flag it is a customer user id; a malformed one is a 400 validation_error', () => {
    expect(v1ProfileIdOf('YWJjL2RlZg', { is_user_id_base64url_encoded: '1' })).toEqual({ value: 'abc/def', customerUserIdOnly: true });
    expect(v1ProfileIdOf('YWJjL2RlZg', { is_user_id_base64url_encoded: 'true' })).toEqual({ value: 'abc/def', customerUserIdOnly: true });
    expect(() => v1ProfileIdOf('abc', { is_user_id_base64url_encoded: '1' })).toThrow(DomainErrorException);
  });

  it('extended is any value of the key, even empty', () => {
    expect(isExtended({ extended: '' })).toBe(true);
    expect(isExtended({ extended: 'false' })).toBe(true);
    expect(isExtended({})).toBe(false);
  });
});
