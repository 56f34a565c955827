import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { refusedAddressKind } from './address-policy';

/** The `code` of the error a webhook request fails with when its host resolves to a refused address. */
export const ADDRESS_REFUSED = 'ERR_WEBHOOK_ADDRESS_REFUSED';

export class AddressRefusedError extends Error {
  readonly code = ADDRESS_REFUSED;
}

export const isAddressRefused = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === ADDRESS_REFUSED;

/**
 * `dns.lookup` for webhook requests: the name is resolved once, here, and the answer is judged
 * before the socket connects to it, so a name that resolves (or comes to resolve) to a private
 * address gets no connection at all. One refused answer refuses the name: a name that mixes
 * public and private answers is a rebinding attempt more often than a mistake.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options, (error, address: string | LookupAddress[], family?: number) => {
    if (error) return callback(error, address, family);
    const answers = typeof address === 'string' ? [address] : address.map((a) => a.address);
    const refused = answers.map(refusedAddressKind).find((kind) => kind !== null);
    if (refused) {
      const e = new AddressRefusedError(`${hostname} resolves to a ${refused} address; webhooks go to public addresses only`);
      return callback(e, typeof address === 'string' ? '' : [], family);
    }
    callback(null, address, family);
  });
};
