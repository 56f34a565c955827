import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../../domain/shared/domain-error';
import {
  checkEventTypes,
  deleteEndpoint,
  EndpointEvent,
  endpointNotFound,
  EndpointsState,
  endpointsStreamId,
  needsVerification,
  rotateEndpointSecret,
  updateEndpoint,
  WebhookEndpoint,
} from '../../domain/webhooks/webhook-endpoint';
import { EndpointVerifier, newSigningSecret } from '../../webhooks/endpoint-verification';
import { DeliveryView } from '../../webhooks/outbox-admin';
import { Ledger } from '../shared/ledger';
import { LEDGER } from '../shared/ledger.token';
import {
  CreateWebhookEndpointCommand,
  DeleteWebhookEndpointCommand,
  GetWebhookEndpointQuery,
  ListDeliveriesQuery,
  ListWebhookEndpointsQuery,
  RedeliverCommand,
  RotateWebhookSecretCommand,
  UpdateWebhookEndpointCommand,
} from './webhook-endpoint.commands';

type EndpointResult = WebhookEndpoint | DomainError;

/** Decides on the app's endpoint stream, then waits until the outbox knows the new configuration. */
async function decideOnEndpoints(
  ledger: Ledger,
  appId: string,
  source: string,
  decide: (s: EndpointsState) => EndpointEvent[] | DomainError,
): Promise<EndpointsState | DomainError> {
  const result = await ledger.endpoints.execute(endpointsStreamId(appId), decide, ledger.metadata({ appId, source }));
  if (!result.ok) return 'error' in result ? result.error : endpointNotFound();
  if (result.position !== null) await ledger.readModels.webhookOutboxRunner.catchUpTo(result.position);
  return result.state;
}

const pick = (state: EndpointsState | DomainError, id: string): EndpointResult =>
  state instanceof DomainError ? state : (state.get(id) ?? endpointNotFound());

@CommandHandler(CreateWebhookEndpointCommand)
export class CreateWebhookEndpointHandler implements ICommandHandler<CreateWebhookEndpointCommand, EndpointResult> {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    private readonly verifier: EndpointVerifier,
  ) {}

  async execute(cmd: CreateWebhookEndpointCommand): Promise<EndpointResult> {
    const typesError = checkEventTypes(cmd.eventTypes);
    if (typesError) return typesError;
    const endpoint: WebhookEndpoint = {
      id: this.ledger.ids.next(),
      url: cmd.url,
      verification: cmd.verification,
      authorization: cmd.authorization,
      event_types: cmd.eventTypes,
      environment: cmd.environment,
      enabled: true,
      secret: newSigningSecret(),
      created_at: this.ledger.clock.now().toISOString(),
      disabled_reason: null,
    };
    const refusal = await this.verifier.check(endpoint, this.ledger.clock.now());
    if (refusal) return refusal;
    const { enabled: _e, disabled_reason: _d, ...created } = endpoint;
    const state = await decideOnEndpoints(this.ledger, cmd.appId, 'admin.create_webhook_endpoint', () => [
      { type: 'WebhookEndpointCreated', data: created },
    ]);
    return pick(state, endpoint.id);
  }
}

@CommandHandler(UpdateWebhookEndpointCommand)
export class UpdateWebhookEndpointHandler implements ICommandHandler<UpdateWebhookEndpointCommand, EndpointResult> {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    private readonly verifier: EndpointVerifier,
  ) {}

  async execute(cmd: UpdateWebhookEndpointCommand): Promise<EndpointResult> {
    const typesError = checkEventTypes(cmd.changes.event_types);
    if (typesError) return typesError;
    const endpoints = (await this.ledger.endpoints.load(endpointsStreamId(cmd.appId))).state;
    const current = endpoints.get(cmd.id);
    if (!current) return endpointNotFound();
    if (needsVerification(current, cmd.changes)) {
      const refusal = await this.verifier.check({ ...current, ...cmd.changes }, this.ledger.clock.now());
      if (refusal) return refusal;
    }
    const state = await decideOnEndpoints(this.ledger, cmd.appId, 'admin.update_webhook_endpoint', (s) =>
      updateEndpoint(s, cmd.id, cmd.changes),
    );
    return pick(state, cmd.id);
  }
}

@CommandHandler(DeleteWebhookEndpointCommand)
export class DeleteWebhookEndpointHandler implements ICommandHandler<DeleteWebhookEndpointCommand, null | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: DeleteWebhookEndpointCommand): Promise<null | DomainError> {
    const state = await decideOnEndpoints(this.ledger, cmd.appId, 'admin.delete_webhook_endpoint', (s) =>
      deleteEndpoint(s, cmd.id),
    );
    return state instanceof DomainError ? state : null;
  }
}

@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand, EndpointResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RotateWebhookSecretCommand): Promise<EndpointResult> {
    const secret = newSigningSecret();
    const state = await decideOnEndpoints(this.ledger, cmd.appId, 'admin.rotate_webhook_secret', (s) =>
      rotateEndpointSecret(s, cmd.id, secret),
    );
    return pick(state, cmd.id);
  }
}

@CommandHandler(RedeliverCommand)
export class RedeliverHandler implements ICommandHandler<RedeliverCommand, DeliveryView | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(cmd: RedeliverCommand): Promise<DeliveryView | DomainError> {
    const { readModels, clock } = this.ledger;
    const view = readModels.outboxAdmin.redeliver(cmd.appId, cmd.deliveryId, clock.now().getTime());
    if (!view) return new DomainError('webhook_delivery_does_not_exist', null, 'Webhook delivery not found');
    readModels.notifyOutbox();
    return view;
  }
}

@QueryHandler(ListWebhookEndpointsQuery)
export class ListWebhookEndpointsHandler implements IQueryHandler<ListWebhookEndpointsQuery, WebhookEndpoint[]> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(q: ListWebhookEndpointsQuery): Promise<WebhookEndpoint[]> {
    return [...(await this.ledger.endpoints.load(endpointsStreamId(q.appId))).state.values()];
  }
}

@QueryHandler(GetWebhookEndpointQuery)
export class GetWebhookEndpointHandler implements IQueryHandler<GetWebhookEndpointQuery, EndpointResult> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(q: GetWebhookEndpointQuery): Promise<EndpointResult> {
    return (await this.ledger.endpoints.load(endpointsStreamId(q.appId))).state.get(q.id) ?? endpointNotFound();
  }
}

@QueryHandler(ListDeliveriesQuery)
export class ListDeliveriesHandler implements IQueryHandler<ListDeliveriesQuery, DeliveryView[] | DomainError> {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async execute(q: ListDeliveriesQuery): Promise<DeliveryView[] | DomainError> {
    const endpoints = (await this.ledger.endpoints.load(endpointsStreamId(q.appId))).state;
    if (!endpoints.has(q.endpointId)) return endpointNotFound();
    await this.ledger.readModels.webhookOutboxRunner.catchUpToHead();
    return this.ledger.readModels.outboxAdmin.deliveries(q.appId, q.endpointId, q.limit);
  }
}
