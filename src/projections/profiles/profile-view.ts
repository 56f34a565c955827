import { AccessSource, accessSources } from '../../domain/profile/access';
import { Attributes, Transaction } from '../../domain/profile/profile.events';
import { ProfileState } from '../../domain/profile/profile.state';
import { Iso } from '../../domain/shared/time';

/**
 * What GET serves, stored per profile. Its size follows what the profile holds now (chains,
 * grants, one-time purchases), not the length of its history, and everything that depends
 * on the time of reading is kept as instants and judged when rendered.
 */
export interface ProfileReadModel {
  app_id: string;
  profile_id: string;
  customer_user_id: string | null;
  created_at: Iso;
  total_revenue_usd: number;
  attributes: Attributes;
  custom_attributes: Array<[string, string | number]>;
  sources: AccessSource[];
  subscriptions: Array<{ current: Transaction; originally_purchased_at: Iso }>;
  non_subscriptions: Array<{ purchase_id: string; transaction: Transaction }>;
}

const untilOf = (s: AccessSource): number => (s.until === null ? Infinity : s.until);

/**
 * Drops sources that can never be the one shown: another source of the same level starts no
 * later and lasts longer (or as long, and comes first, which wins ties). A profile granted the
 * same level a thousand times keeps one source, so GET does not grow with such history.
 */
export function undominatedSources(sources: AccessSource[]): AccessSource[] {
  const keep = new Array<boolean>(sources.length).fill(true);
  const byLevel = new Map<string, number[]>();
  sources.forEach((s, i) => byLevel.set(s.access_level_id, [...(byLevel.get(s.access_level_id) ?? []), i]));
  for (const indexes of byLevel.values()) {
    indexes.sort((a, b) => sources[a].from - sources[b].from || untilOf(sources[b]) - untilOf(sources[a]) || a - b);
    let best = -1;
    for (const i of indexes) {
      if (best !== -1) {
        const [bu, iu] = [untilOf(sources[best]), untilOf(sources[i])];
        if (bu > iu || (bu === iu && best < i)) {
          keep[i] = false;
          continue;
        }
        if (iu > bu || (iu === bu && i < best)) best = i;
      } else best = i;
    }
  }
  return sources.filter((_, i) => keep[i]);
}

export function toReadModel(state: ProfileState): ProfileReadModel {
  const subscriptions: ProfileReadModel['subscriptions'] = [];
  const nonSubscriptions: ProfileReadModel['non_subscriptions'] = [];
  for (const chain of state.chains.values()) {
    if (chain.current.purchase_type === 'subscription') {
      subscriptions.push({
        current: chain.current,
        originally_purchased_at: chain.current.originally_purchased_at ?? chain.first_purchased_at,
      });
    } else {
      nonSubscriptions.push({ purchase_id: chain.purchase_id, transaction: chain.current });
    }
  }
  return {
    app_id: state.app_id,
    profile_id: state.profile_id,
    customer_user_id: state.customer_user_id,
    created_at: state.created_at,
    total_revenue_usd: state.total_revenue_usd,
    attributes: state.attributes,
    custom_attributes: [...state.custom_attributes],
    sources: undominatedSources(accessSources(state)),
    subscriptions,
    non_subscriptions: nonSubscriptions,
  };
}
