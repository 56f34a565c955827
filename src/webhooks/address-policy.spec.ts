import { ConfigError, loadConfig } from '../config/config';
import { literalAddressOf, refusedAddressKind, staticUrlProblem, urlShapeProblem } from './address-policy';

describe('webhook address policy (SSRF), as a pure function of the address', () => {
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['febf:ffff::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    // IPv4-mapped IPv6: judged as the IPv4 address it carries.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:172.16.0.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['::ffff:100.64.0.1', 'carrierGradeNat'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:255.255.255.255', 'broadcast'],
    ['::ffff:224.0.0.1', 'multicast'],
    // Other IPv6 forms that carry an IPv4 address.
    ['::7f00:1', 'ipv4Compatible'],
    ['::a00:1', 'ipv4Compatible'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['64:ff9b::7f00:1', 'nat64 of loopback'],
    ['64:ff9b::a9fe:a9fe', 'nat64 of linkLocal'],
    ['2002:7f00:1::1', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
    // Brackets as in a URL's host.
    ['[::1]', 'loopback'],
    // Not an address.
    ['localhost', 'invalid'],
    ['', 'invalid'],
    ['1.2.3', 'invalid'],
  ];
  it.each(refused)('refuses %s (%s)', (address, kind) => {
    expect(refusedAddressKind(address)).toBe(kind);
  });

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ];
  it.each(allowed)('allows the public address %s', (address) => {
    expect(refusedAddressKind(address)).toBeNull();
  });
});

describe('webhook URL policy, without resolving names', () => {
  const url = (s: string) => new URL(s);

  it.each([
    ['ftp://example.com/hook', /scheme ftp/],
    ['file:///etc/passwd', /scheme file/],
    ['gopher://example.com/', /scheme gopher/],
    ['ws://example.com/', /scheme ws/],
    ['http://user:secret@example.com/hook', /credentials/],
    ['https://user@example.com/hook', /credentials/],
    ['https://:secret@example.com/hook', /credentials/],
  ])('refuses %s whatever WEBHOOK_ALLOW_PRIVATE_URLS says', (raw, reason) => {
    expect(urlShapeProblem(url(raw))).toMatch(reason);
    expect(staticUrlProblem(url(raw), true)).toMatch(reason);
    expect(staticUrlProblem(url(raw), false)).toMatch(reason);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.0.0.1/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0.0.0.0:3000/', '0.0.0.0'],
    ['http://0/', '0.0.0.0'],
    ['http://[::1]:3000/', '::1'],
    ['http://[::]/', '::'],
    ['http://[::ffff:127.0.0.1]:3000/', '::ffff:7f00:1'],
    ['http://[::ffff:169.254.169.254]/latest/meta-data', '::ffff:a9fe:a9fe'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['https://10.1.2.3/', '10.1.2.3'],
    ['http://[fd00::1]/', 'fd00::1'],
  ])('refuses %s by its literal address (%s) unless private addresses are allowed', (raw, literal) => {
    expect(literalAddressOf(url(raw))).toBe(literal);
    expect(staticUrlProblem(url(raw), false)).toMatch(/address; webhooks go to public addresses only$/);
    expect(staticUrlProblem(url(raw), true)).toBeNull();
  });

  it.each(['https://example.com/hooks/adapty', 'http://hooks.example.com:8080/x?y=1', 'https://8.8.8.8/hook', 'https://[2606:4700:4700::1111]/hook'])(
    'lets %s through (a name is judged once resolved, by the guarded lookup)',
    (raw) => {
      expect(staticUrlProblem(url(raw), false)).toBeNull();
    },
  );
});

describe('WEBHOOK_ALLOW_PRIVATE_URLS', () => {
  const load = (value?: string) => loadConfig({ API_KEYS: 'a:b', EVENT_STORE_URL: 'sqlite:/tmp/never-opened.sqlite', WEBHOOK_ALLOW_PRIVATE_URLS: value });

  it('is off unless set to true or 1', () => {
    expect(load().webhookAllowPrivateUrls).toBe(false);
    expect(load('false').webhookAllowPrivateUrls).toBe(false);
    expect(load('0').webhookAllowPrivateUrls).toBe(false);
    expect(load('true').webhookAllowPrivateUrls).toBe(true);
    expect(load('1').webhookAllowPrivateUrls).toBe(true);
  });

  it('refuses any other value instead of guessing', () => {
    expect(() => load('maybe')).toThrow(ConfigError);
    expect(() => load('allow')).toThrow('WEBHOOK_ALLOW_PRIVATE_URLS must be 1 or 0 (true/false)');
  });
});
