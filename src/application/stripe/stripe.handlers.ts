import { STORE_SECRETS, STORE_INTAKE_STATS } from '../shared/store-ports';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DomainError, validationError } from '../../domain/shared/domain-error';
import { STRIPE } from '../../domain/stripe/stripe-record';
import { removeStripeSetup, saveStripeSetup, stripeNotConfigured, stripeSetupStreamId, StripeSetupState, UnattributedCustomer } from '../../domain/stripe/stripe-setup';
import { StoreIntakeStats } from '../../projections/store-intake/store-intake-stats';
import { StoreSecrets } from '../../projections/store-intake/store-secrets';
import { CommandContext } from '../shared/command-context';
import { outcomeCounts } from '../shared/intake-outcomes';
import { StripeCustomers, StripeLinkResult } from './stripe-customers';
import { STRIPE_EVENT_TYPES, StripeIntake, StripeIntakeResult } from './stripe-intake';
import { StripeSecrets } from './stripe-ports';
import { StripeSetupRepository } from './stripe-repositories';
import { StripeValidation } from './stripe-validation';
import {
  GetStripeSetupQuery,
  LinkStripeCustomerCommand,
  ListUnattributedStripeCustomersQuery,
  ReceiveStripeWebhookCommand,
  RemoveStripeSetupCommand,
  SaveStripeSetupCommand,
  ValidateStripePurchaseCommand,
} from './stripe.commands';

export interface StripeSetupView {
  api_key_configured: boolean;
  webhook_path: string;
  /** What to select for the endpoint in Stripe's dashboard. */
  events: readonly string[];
  last_event_at: string | null;
  counts: Record<string, number | Record<string, number>>;
  unattributed_waiting: number;
  created_at: string;
  updated_at: string;
}

const RECORDED = ['accepted', 'duplicate', 'unattributed', 'erased', 'ignored'];

export const stripeWebhookPath = (appId: string): string => `/stores/stripe/${encodeURIComponent(appId)}/webhooks`;

async function setupView(appId: string, state: StripeSetupState, stats: StoreIntakeStats): Promise<StripeSetupView | DomainError> {
  if (state.setup === null) return stripeNotConfigured();
  const { counts, last_at } = await outcomeCounts(stats, appId, STRIPE, RECORDED);
  return {
    api_key_configured: state.setup.api_key_configured,
    webhook_path: stripeWebhookPath(appId),
    events: STRIPE_EVENT_TYPES,
    last_event_at: last_at,
    counts,
    unattributed_waiting: state.unattributed.size,
    created_at: state.setup.created_at,
    updated_at: state.setup.updated_at,
  };
}

@CommandHandler(SaveStripeSetupCommand)
export class SaveStripeSetupHandler implements ICommandHandler<SaveStripeSetupCommand, StripeSetupView | DomainError> {
  constructor(
    private readonly setups: StripeSetupRepository,
    private readonly context: CommandContext,
    @Inject(STORE_SECRETS) private readonly secrets: StoreSecrets,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(cmd: SaveStripeSetupCommand): Promise<StripeSetupView | DomainError> {
    const secrets: StripeSecrets = { webhook_secret: cmd.webhookSecret, api_key: cmd.apiKey };
    const rotated = JSON.stringify(await this.secrets.get(cmd.appId, STRIPE)) !== JSON.stringify(secrets);
    // The secrets first: a setup in the log always has its secrets kept (a crash between the two is repaired by the PUT's retry).
    if (rotated) await this.secrets.put(cmd.appId, STRIPE, secrets);
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.put_stripe_setup' });
    const result = await this.setups.execute(
      stripeSetupStreamId(cmd.appId),
      (s) => saveStripeSetup(s, { apiKeyConfigured: cmd.apiKey !== null, secretsRotated: rotated }, this.context.clock.now()),
      meta,
    );
    if (!result.ok) return 'error' in result ? result.error : stripeNotConfigured();
    return setupView(cmd.appId, result.state, this.stats);
  }
}

@CommandHandler(RemoveStripeSetupCommand)
export class RemoveStripeSetupHandler implements ICommandHandler<RemoveStripeSetupCommand, null | DomainError> {
  constructor(
    private readonly setups: StripeSetupRepository,
    private readonly context: CommandContext,
    @Inject(STORE_SECRETS) private readonly secrets: StoreSecrets,
  ) {}

  async execute(cmd: RemoveStripeSetupCommand): Promise<null | DomainError> {
    const meta = this.context.metadata({ appId: cmd.appId, source: 'admin.delete_stripe_setup' });
    const result = await this.setups.execute(stripeSetupStreamId(cmd.appId), (s) => removeStripeSetup(s, this.context.clock.now()), meta);
    if (!result.ok) return 'error' in result ? result.error : stripeNotConfigured();
    await this.secrets.remove(cmd.appId, STRIPE);
    return null;
  }
}

@QueryHandler(GetStripeSetupQuery)
export class GetStripeSetupHandler implements IQueryHandler<GetStripeSetupQuery, StripeSetupView | DomainError> {
  constructor(
    private readonly setups: StripeSetupRepository,
    @Inject(STORE_INTAKE_STATS) private readonly stats: StoreIntakeStats,
  ) {}

  async execute(query: GetStripeSetupQuery): Promise<StripeSetupView | DomainError> {
    return setupView(query.appId, (await this.setups.load(stripeSetupStreamId(query.appId))).state, this.stats);
  }
}

@CommandHandler(ReceiveStripeWebhookCommand)
export class ReceiveStripeWebhookHandler implements ICommandHandler<ReceiveStripeWebhookCommand, StripeIntakeResult | DomainError> {
  constructor(private readonly intake: StripeIntake) {}

  execute(cmd: ReceiveStripeWebhookCommand): Promise<StripeIntakeResult | DomainError> {
    return this.intake.receive(cmd.appId, cmd.rawBody, cmd.signature);
  }
}

@CommandHandler(LinkStripeCustomerCommand)
export class LinkStripeCustomerHandler implements ICommandHandler<LinkStripeCustomerCommand, StripeLinkResult | DomainError> {
  constructor(private readonly customers: StripeCustomers) {}

  async execute(cmd: LinkStripeCustomerCommand): Promise<StripeLinkResult | DomainError> {
    const { appId } = cmd.ref;
    const id = cmd.customerOrSubscriptionId;
    // A subscription (or payment) names the customer it was first seen with.
    const key = id.startsWith('cus_') || id.startsWith('cs_') ? id : await this.customers.customerOfObject(appId, id);
    if (key === null) return validationError('customer_id', `The ledger has no Stripe event about ${id}: link the customer (cus_…) or wait for its first event.`);
    return this.customers.claim(appId, key, cmd.ref, cmd.transfer, 'admin.stripe_link');
  }
}

export type UnattributedStripeView = Omit<UnattributedCustomer, 'record_ids'> & { events: number };

@QueryHandler(ListUnattributedStripeCustomersQuery)
export class ListUnattributedStripeCustomersHandler implements IQueryHandler<ListUnattributedStripeCustomersQuery, { data: UnattributedStripeView[]; next_offset: number | null }> {
  constructor(private readonly setups: StripeSetupRepository) {}

  async execute(query: ListUnattributedStripeCustomersQuery) {
    const { state } = await this.setups.load(stripeSetupStreamId(query.appId));
    const key = (u: UnattributedCustomer) => `${u.waiting_since}\n${u.customer_key}`;
    const all = [...state.unattributed.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const page = all.slice(query.offset, query.offset + query.limit);
    const next = query.offset + page.length;
    return { data: page.map(({ record_ids, ...u }) => ({ ...u, events: record_ids.length })), next_offset: next < all.length ? next : null };
  }
}

@CommandHandler(ValidateStripePurchaseCommand)
export class ValidateStripePurchaseHandler implements ICommandHandler<ValidateStripePurchaseCommand, null | DomainError> {
  constructor(private readonly validation: StripeValidation) {}

  execute(cmd: ValidateStripePurchaseCommand): Promise<null | DomainError> {
    return this.validation.validate(cmd.appId, cmd.customerUserId, cmd.stripeToken);
  }
}
