import { hash, timingSafeEqual } from 'node:crypto';
import { AppKey } from '../../config/config';

const digest = (s: string): Buffer => hash('sha256', s, 'buffer') as unknown as Buffer;

export type KeyCheck = { appId: string } | 'missing' | 'invalid';

/**
 * `Authorization: Api-Key <secret>` → the app it belongs to. Keys are compared as digests in
 * constant time, against every key, so timing tells nothing about which one nearly matched.
 */
export class AppKeys {
  private readonly keys: Array<{ appId: string; digest: Buffer }>;

  constructor(keys: AppKey[]) {
    this.keys = keys.map((k) => ({ appId: k.appId, digest: digest(k.secret) }));
  }

  check(header: unknown): KeyCheck {
    const match = typeof header === 'string' ? /^Api-Key\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return 'missing';
    const presented = digest(match[1]);
    let appId: string | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest)) appId = key.appId;
    }
    return appId === null ? 'invalid' : { appId };
  }
}
