/** One request of the workload, as both test harnesses (in-process and real-process) can send it. */
export interface WorkloadRequest {
  method: 'POST' | 'PATCH';
  path: string;
  customerUserId: string;
  body: unknown;
}

const V2 = '/api/v2/server-side-api';
const DAY = 86_400_000;

/**
 * A reproducible random workload over eight profiles — creates, attribute changes, grants, revokes,
 * Stripe transactions (product `monthly`, which the caller maps first) — for tests that compare the
 * read models with a rebuild of the log.
 */
export async function randomWorkload(send: (r: WorkloadRequest) => Promise<unknown>, options: { seed: number; steps: number; now: number }): Promise<void> {
  let seed = options.seed;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const { now } = options;
  for (let i = 0; i < options.steps; i++) {
    const customerUserId = `cli-${rnd(8)}`;
    await send({ method: 'POST', path: `${V2}/profile/`, customerUserId, body: {} });
    switch (rnd(4)) {
      case 0:
        await send({ method: 'PATCH', path: `${V2}/profile/`, customerUserId, body: { custom_attributes: [{ key: `k${rnd(3)}`, value: rnd(2) ? 'v' : null }] } });
        break;
      case 1:
        await send({
          method: 'POST',
          path: `${V2}/purchase/profile/grant/access-level/`,
          customerUserId,
          body: { access_level_id: 'premium', expires_at: new Date(now + rnd(5) * DAY + 1000).toISOString() },
        });
        break;
      case 2:
        await send({ method: 'POST', path: `${V2}/purchase/profile/revoke/access-level/`, customerUserId, body: { access_level_id: 'premium' } });
        break;
      default:
        await send({
          method: 'POST',
          path: `${V2}/purchase/set/transaction/`,
          customerUserId,
          body: {
            purchase_type: 'subscription',
            store: 'stripe',
            store_product_id: 'monthly',
            store_transaction_id: `t${rnd(4)}`,
            store_original_transaction_id: 'c1',
            price: { country: 'US', currency: 'USD', value: 4.99 },
            purchased_at: new Date(now - DAY).toISOString(),
            originally_purchased_at: new Date(now - DAY).toISOString(),
            expires_at: new Date(now + DAY).toISOString(),
            renew_status: rnd(2) === 0,
          },
        });
    }
  }
}
