import { createHash, X509Certificate } from 'node:crypto';
import { APPLE_ROOT_CA_G3 } from './apple-root-ca-g3';

describe('Apple Root CA - G3 shipped with the ledger', () => {
  it('is the certificate Apple publishes (SHA-256 of its DER)', () => {
    const der = new X509Certificate(APPLE_ROOT_CA_G3).raw;
    expect(createHash('sha256').update(der).digest('hex')).toBe('63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179');
    expect(new X509Certificate(APPLE_ROOT_CA_G3).subject).toContain('CN=Apple Root CA - G3');
  });
});
