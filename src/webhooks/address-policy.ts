import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may go (server-side request forgery): pure functions of an address or a URL.
 * Anything that is not public unicast is refused — loopback, private, carrier-grade NAT,
 * link-local (the cloud metadata service), unique-local, unspecified, multicast, broadcast,
 * reserved and documentation ranges — and so is every IPv6 form that embeds such an IPv4
 * address (IPv4-mapped, IPv4-compatible, IPv4-translated, 6to4, Teredo).
 */

/** IPv4-compatible IPv6 (`::a.b.c.d`, deprecated by RFC 4291): ipaddr.js files it under unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** NAT64's well-known prefix (RFC 6052): judged by the IPv4 address it carries. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Why an address may not receive webhooks (the kind of range it is in, e.g. `loopback`,
 * `private`, `linkLocal`), or null when it is public. Not an IP address at all: `invalid`.
 */
export function refusedAddressKind(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) === 0) return 'invalid';
  const parsed = ipaddr.process(bare);
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = parsed as ipaddr.IPv6;
  if (v6.match(IPV4_COMPATIBLE)) return v6.range() === 'unicast' ? 'ipv4Compatible' : v6.range();
  if (v6.match(NAT64)) {
    const embedded = refusedAddressKind(ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString());
    return embedded === null ? null : `nat64 of ${embedded}`;
  }
  const range = v6.range();
  return range === 'unicast' ? null : range;
}

/** A URL's host when it is an IP literal (WHATWG URLs normalise `2130706433`, `0x7f.1` … to dotted form), else null. */
export function literalAddressOf(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? null : host;
}

/**
 * Why a URL may not receive webhooks whatever its address: a scheme other than http/https, or
 * credentials in it (they would be sent in clear to whoever answers). Null when its shape is fine.
 */
export function urlShapeProblem(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the scheme ${url.protocol.slice(0, -1)} is not allowed (http or https only)`;
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not allowed (use the authorization field)';
  return null;
}

/**
 * Everything that can be said about a URL without resolving its name: its shape and, when
 * private addresses are refused, its literal address. Null when nothing is wrong.
 */
export function staticUrlProblem(url: URL, allowPrivateAddresses: boolean): string | null {
  const shape = urlShapeProblem(url);
  if (shape || allowPrivateAddresses) return shape;
  const literal = literalAddressOf(url);
  const kind = literal === null ? null : refusedAddressKind(literal);
  return kind === null ? null : `${literal} is a ${kind} address; webhooks go to public addresses only`;
}
