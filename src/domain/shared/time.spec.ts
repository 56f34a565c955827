import { formatApiDate, formatPythonDate, normalizeIso, parseInstant, toMs } from './time';

describe('parseInstant', () => {
  it.each([
    ['2024-01-15T10:30:00Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00z', '2024-01-15T10:30:00.000Z'],
    ['2024-12-24T10:50:23+00:00', '2024-12-24T10:50:23.000Z'],
    ['2022-10-12T09:42:50.000000+0000', '2022-10-12T09:42:50.000Z'],
    ['2020-03-26T16:24:19.497674+0000', '2020-03-26T16:24:19.497Z'],
    ['2025-01-05T13:27:47.461425+00:00', '2025-01-05T13:27:47.461Z'],
    ['2024-01-15T12:30:00+02:00', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T05:30:00-0500', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T12:30:00+02', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15 10:30:00Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00,5Z', '2024-01-15T10:30:00.500Z'],
    ['2024-01-15T10:30:00.1Z', '2024-01-15T10:30:00.100Z'],
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000Z'],
    ['  2024-01-15T10:30:00Z  ', '2024-01-15T10:30:00.000Z'],
  ])('%p → %p', (text, iso) => {
    expect(parseInstant(text)).toBe(iso);
  });

  it.each([
    'garbage',
    '',
    '2023-02-29',
    '2024-02-30T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-01-15T24:00:00Z',
    '2024-01-15T10:60:00Z',
    '2024-01-15T10:30:60Z',
    '2024-01-15T10:30:00+2',
    '1736425645861',
    '15/01/2024',
  ])('%p is not an instant', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
});

describe('formatApiDate (Adapty v2 responses)', () => {
  it('whole seconds: +00:00, no fraction', () => {
    expect(formatApiDate('2024-12-24T10:50:23.000Z')).toBe('2024-12-24T10:50:23+00:00');
  });
  it('a fraction is printed with 6 digits', () => {
    expect(formatApiDate('2025-01-05T13:27:47.461Z')).toBe('2025-01-05T13:27:47.461000+00:00');
    expect(formatApiDate('2025-01-05T13:27:47.007Z')).toBe('2025-01-05T13:27:47.007000+00:00');
  });
  it('null and undefined give null', () => {
    expect(formatApiDate(null)).toBeNull();
    expect(formatApiDate(undefined)).toBeNull();
  });
});

describe("formatPythonDate (Python's str(datetime) in UTC)", () => {
  it('whole seconds', () => {
    expect(formatPythonDate('2028-08-29T09:33:42.000Z')).toBe('2028-08-29 09:33:42+00:00');
  });
  it('with a fraction, microseconds as Python prints them', () => {
    expect(formatPythonDate('2028-08-29T09:33:42.5Z')).toBe('2028-08-29 09:33:42.500000+00:00');
    expect(formatPythonDate('2028-08-29T09:33:42.042Z')).toBe('2028-08-29 09:33:42.042000+00:00');
  });
  it('converts an offset to UTC', () => {
    expect(formatPythonDate('2028-08-29T11:33:42+02:00')).toBe('2028-08-29 09:33:42+00:00');
  });
});

describe('toMs / normalizeIso', () => {
  it('round trip', () => {
    expect(toMs('1970-01-01T00:00:01.000Z')).toBe(1000);
    expect(normalizeIso('2024-01-15T12:30:00+02:00')).toBe('2024-01-15T10:30:00.000Z');
  });
});
