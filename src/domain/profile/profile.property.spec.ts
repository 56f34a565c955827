import fc from 'fast-check';
import { accessLevelsAt, accessSources } from './access';
import { grantAccess, recordTransaction, revokeAccess } from './profile.decide';
import { ProfileEvent, Transaction } from './profile.events';
import { foldProfile, ProfileState } from './profile.state';
import { checkTransaction } from './transaction.rules';
import { isDomainError } from '../shared/domain-error';
import { catalogueWith, day, oneTime, profileCreated, subscription } from '../spec-support';

const HOUR = 3600_000;
const BASE = new Date('2025-01-01T00:00:00.000Z');
const CATALOGUE = catalogueWith({ monthly: 'premium', yearly: 'gold', lifetime: 'premium' }, ['gold']);
const LEVELS = ['premium', 'gold'] as const;

type Cmd =
  | { kind: 'tick'; hours: number }
  | { kind: 'grant'; level: (typeof LEVELS)[number]; startsInHours: number | null; hours: number | null }
  | { kind: 'revoke'; level: (typeof LEVELS)[number]; inHours: number | null }
  | {
      kind: 'subscription';
      chain: number;
      n: number;
      product: 'monthly' | 'yearly' | 'unmapped';
      purchasedHours: number;
      lengthHours: number;
      cents: number;
      currency: string;
      trial: boolean;
      family: boolean;
      refundAfterHours: number | null;
      renew: boolean;
      billing: boolean;
      graceHours: number | null;
    }
  | { kind: 'one_time'; n: number; purchasedHours: number; cents: number; currency: string; family: boolean; refundAfterHours: number | null };

const currency = fc.constantFrom('USD', 'usd', 'EUR', 'GBP');
const level = fc.constantFrom(...LEVELS);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('tick' as const), hours: fc.integer({ min: 1, max: 24 * 60 }) }),
  fc.record({
    kind: fc.constant('grant' as const),
    level,
    startsInHours: fc.option(fc.integer({ min: -24 * 30, max: 24 * 30 })),
    hours: fc.option(fc.integer({ min: 1, max: 24 * 90 })),
  }),
  fc.record({ kind: fc.constant('revoke' as const), level, inHours: fc.option(fc.integer({ min: 1, max: 24 * 60 })) }),
  fc.record({
    kind: fc.constant('subscription' as const),
    chain: fc.integer({ min: 0, max: 2 }),
    n: fc.integer({ min: 0, max: 4 }),
    product: fc.constantFrom('monthly' as const, 'yearly' as const, 'unmapped' as const),
    purchasedHours: fc.integer({ min: -24 * 120, max: 24 * 60 }),
    lengthHours: fc.integer({ min: 1, max: 24 * 40 }),
    cents: fc.integer({ min: 0, max: 20_000 }),
    currency,
    trial: fc.boolean(),
    family: fc.boolean(),
    refundAfterHours: fc.option(fc.integer({ min: 1, max: 24 * 40 }), { freq: 4 }),
    renew: fc.boolean(),
    billing: fc.boolean(),
    graceHours: fc.option(fc.integer({ min: 0, max: 24 * 16 })),
  }),
  fc.record({
    kind: fc.constant('one_time' as const),
    n: fc.integer({ min: 0, max: 2 }),
    purchasedHours: fc.integer({ min: -24 * 120, max: 24 * 60 }),
    cents: fc.integer({ min: 0, max: 20_000 }),
    currency,
    family: fc.boolean(),
    refundAfterHours: fc.option(fc.integer({ min: 1, max: 24 * 40 }), { freq: 4 }),
  }),
);

const at = (hours: number): string => new Date(BASE.getTime() + hours * HOUR).toISOString();

/** A transaction that satisfies every set-transaction rule, built from the generated numbers. */
function transactionOf(c: Extract<Cmd, { kind: 'subscription' | 'one_time' }>): Transaction {
  const purchased = c.purchasedHours;
  const value = c.family || (c.kind === 'subscription' && c.trial) ? 0 : c.cents / 100;
  const refund =
    c.refundAfterHours === null ? { refunded_at: null, cancellation_reason: null } : { refunded_at: at(purchased + c.refundAfterHours), cancellation_reason: 'refund' };
  const common = {
    price: { country: 'US', currency: c.currency, value },
    is_family_shared: c.family,
    purchased_at: at(purchased),
    ...refund,
  };
  if (c.kind === 'one_time') {
    return oneTime({ ...common, store_transaction_id: `o${c.n}`, store_original_transaction_id: `o${c.n}` });
  }
  const expires = purchased + c.lengthHours;
  const billing = c.billing || c.graceHours !== null;
  return subscription({
    ...common,
    store_product_id: c.product,
    store_transaction_id: `c${c.chain}-${c.n}`,
    store_original_transaction_id: `c${c.chain}`,
    offer: c.trial ? { category: 'introductory', type: 'free_trial', id: null } : null,
    originally_purchased_at: at(purchased - c.n * 24),
    expires_at: at(expires),
    renew_status: c.renew,
    renew_status_changed_at: c.renew ? null : at(purchased + 1),
    billing_issue_detected_at: billing ? at(purchased + 1) : null,
    grace_period_expires_at: c.graceHours === null ? null : at(expires + c.graceHours),
  });
}

const ALLOWED_REVOKE_ERRORS = new Set(['profile_paid_access_level_does_not_exist', 'revocation_date_more_than_expiration_date']);

/** Runs the commands; returns every event produced and the state folded step by step. */
function run(cmds: Cmd[]) {
  const events: ProfileEvent[] = [profileCreated(day(-1000))];
  let state: ProfileState = foldProfile(events);
  let now = BASE.getTime();
  let ids = 0;
  /** The model: the last version of each transaction id that was accepted. */
  const lastSent = new Map<string, Transaction>();
  for (const c of cmds) {
    const ctx = { now: new Date(now), newId: () => `id-${++ids}` };
    let decision;
    switch (c.kind) {
      case 'tick':
        now += c.hours * HOUR;
        continue;
      case 'grant': {
        const starts_at = c.startsInHours === null ? null : new Date(now + c.startsInHours * HOUR).toISOString();
        const from = c.startsInHours === null ? now : now + c.startsInHours * HOUR;
        const expires_at = c.hours === null ? null : new Date(from + c.hours * HOUR).toISOString();
        decision = grantAccess(state, { access_level_id: c.level, starts_at, expires_at }, CATALOGUE, ctx);
        if (isDomainError(decision)) throw new Error(`valid grant refused: ${decision.code}`);
        break;
      }
      case 'revoke': {
        const revoke_at = c.inHours === null ? null : new Date(now + c.inHours * HOUR).toISOString();
        decision = revokeAccess(state, { access_level_id: c.level, revoke_at }, CATALOGUE, ctx);
        if (isDomainError(decision)) {
          if (!ALLOWED_REVOKE_ERRORS.has(decision.code)) throw new Error(`unexpected revoke error: ${decision.code}`);
          continue;
        }
        break;
      }
      default: {
        const t = transactionOf(c);
        if (checkTransaction(t) !== null) throw new Error(`generator built an invalid transaction: ${checkTransaction(t)!.code}`);
        decision = recordTransaction(state, t, CATALOGUE, ctx);
        if (isDomainError(decision)) throw new Error(`valid transaction refused: ${decision.code} ${decision.message}`);
        lastSent.set(t.store_transaction_id, t);
      }
    }
    events.push(...decision);
    state = foldProfile(decision, state);
  }
  return { events, state, now, lastSent };
}

const usd = (t: Transaction): number =>
  t.price.currency.toUpperCase() === 'USD' && t.refunded_at === null && !t.is_family_shared ? t.price.value : 0;
const sum = (ts: Iterable<Transaction>): number => [...ts].reduce((acc, t) => acc + usd(t), 0);

describe('property: random sequences of valid commands', () => {
  it('fold never throws, and total_revenue_usd is the sum of non-refunded USD prices', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
        const { events, state, now, lastSent } = run(cmds);

        // Folding the whole history again from scratch gives the same state.
        const refolded = foldProfile(JSON.parse(JSON.stringify(events)) as ProfileEvent[]);
        expect(refolded).toEqual(state);

        // Revenue: as held in state.transactions, and as the model of what was sent.
        expect([...state.transactions.keys()].sort()).toEqual([...lastSent.keys()].sort());
        expect(Math.abs(state.total_revenue_usd - sum([...state.transactions.values()]))).toBeLessThan(1e-6);
        expect(Math.abs(state.total_revenue_usd - sum(lastSent.values()))).toBeLessThan(1e-6);
        expect(state.total_revenue_usd).toBeGreaterThanOrEqual(0);

        // Access can be judged at any instant, one entry per level, never an ended source.
        for (const instant of [now, now - 24 * 30 * HOUR, now + 24 * 30 * HOUR]) {
          const levels = accessLevelsAt(accessSources(state), instant);
          expect(new Set(levels.map((l) => l.access_level_id)).size).toBe(levels.length);
          for (const l of levels) expect(l.until === null || l.until > instant).toBe(true);
        }

        // Every transaction event names known webhook types.
        for (const e of events) {
          if (e.type !== 'TransactionRecorded') continue;
          for (const effect of e.data.effects) expect(KNOWN_EFFECTS).toContain(effect);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a revoke now, whatever came before, leaves the level without access at that instant', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 30 }), level, (cmds, id) => {
        const { state, now } = run(cmds);
        const ctx = { now: new Date(now), newId: () => 'x' };
        const decision = revokeAccess(state, { access_level_id: id, revoke_at: null }, CATALOGUE, ctx);
        const after = isDomainError(decision) ? state : foldProfile(decision, state);
        const active = accessLevelsAt(accessSources(after), now).filter((s) => s.access_level_id === id && s.from <= now);
        expect(active).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

const KNOWN_EFFECTS = [
  'subscription_started',
  'subscription_renewed',
  'subscription_renewal_cancelled',
  'subscription_renewal_reactivated',
  'non_subscription_purchase',
  'trial_started',
  'trial_converted',
  'trial_renewal_cancelled',
  'trial_renewal_reactivated',
  'entered_grace_period',
  'billing_issue_detected',
  'subscription_refunded',
  'non_subscription_purchase_refunded',
];
