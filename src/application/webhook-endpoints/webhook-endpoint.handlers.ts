import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../../domain/shared/domain-error';
import {
  checkEventTypes,
  deleteEndpoint,
  endpointNotFound,
  EndpointsState,
  needsVerification,
  rotateEndpointSecret,
  updateEndpoint,
  WebhookEndpoint,
} from '../../domain/webhooks/webhook-endpoint';
import { DeliveryView } from '../../projections/read-model-store.port';
import { EndpointVerifier, newSigningSecret } from '../../webhooks/endpoint-verification';
import { CommandContext } from '../shared/command-context';
import { Outbox } from '../webhook-deliveries/outbox';
import { EndpointDecisions } from './endpoint-decisions';
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

const pick = (state: EndpointsState | DomainError, id: string): EndpointResult =>
  state instanceof DomainError ? state : (state.get(id) ?? endpointNotFound());

@CommandHandler(CreateWebhookEndpointCommand)
export class CreateWebhookEndpointHandler implements ICommandHandler<CreateWebhookEndpointCommand, EndpointResult> {
  constructor(
    private readonly endpoints: EndpointDecisions,
    private readonly verifier: EndpointVerifier,
    private readonly context: CommandContext,
  ) {}

  async execute(cmd: CreateWebhookEndpointCommand): Promise<EndpointResult> {
    const typesError = checkEventTypes(cmd.eventTypes);
    if (typesError) return typesError;
    const now = this.context.clock.now();
    const endpoint: WebhookEndpoint = {
      id: this.context.ids.next(),
      url: cmd.url,
      verification: cmd.verification,
      authorization: cmd.authorization,
      event_types: cmd.eventTypes,
      environment: cmd.environment,
      enabled: true,
      secret: newSigningSecret(),
      created_at: now.toISOString(),
      disabled_reason: null,
    };
    const refusal = await this.verifier.check(endpoint, now);
    if (refusal) return refusal;
    const { enabled: _e, disabled_reason: _d, ...created } = endpoint;
    const state = await this.endpoints.decide(cmd.appId, 'admin.create_webhook_endpoint', () => [{ type: 'WebhookEndpointCreated', data: created }]);
    return pick(state, endpoint.id);
  }
}

@CommandHandler(UpdateWebhookEndpointCommand)
export class UpdateWebhookEndpointHandler implements ICommandHandler<UpdateWebhookEndpointCommand, EndpointResult> {
  constructor(
    private readonly endpoints: EndpointDecisions,
    private readonly verifier: EndpointVerifier,
    private readonly context: CommandContext,
  ) {}

  async execute(cmd: UpdateWebhookEndpointCommand): Promise<EndpointResult> {
    const typesError = checkEventTypes(cmd.changes.event_types);
    if (typesError) return typesError;
    const current = (await this.endpoints.current(cmd.appId)).get(cmd.id);
    if (!current) return endpointNotFound();
    if (needsVerification(current, cmd.changes)) {
      const refusal = await this.verifier.check({ ...current, ...cmd.changes }, this.context.clock.now());
      if (refusal) return refusal;
    }
    const state = await this.endpoints.decide(cmd.appId, 'admin.update_webhook_endpoint', (s) => updateEndpoint(s, cmd.id, cmd.changes));
    return pick(state, cmd.id);
  }
}

@CommandHandler(DeleteWebhookEndpointCommand)
export class DeleteWebhookEndpointHandler implements ICommandHandler<DeleteWebhookEndpointCommand, null | DomainError> {
  constructor(private readonly endpoints: EndpointDecisions) {}

  async execute(cmd: DeleteWebhookEndpointCommand): Promise<null | DomainError> {
    const state = await this.endpoints.decide(cmd.appId, 'admin.delete_webhook_endpoint', (s) => deleteEndpoint(s, cmd.id));
    return state instanceof DomainError ? state : null;
  }
}

@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand, EndpointResult> {
  constructor(private readonly endpoints: EndpointDecisions) {}

  async execute(cmd: RotateWebhookSecretCommand): Promise<EndpointResult> {
    const secret = newSigningSecret();
    const state = await this.endpoints.decide(cmd.appId, 'admin.rotate_webhook_secret', (s) => rotateEndpointSecret(s, cmd.id, secret));
    return pick(state, cmd.id);
  }
}

@CommandHandler(RedeliverCommand)
export class RedeliverHandler implements ICommandHandler<RedeliverCommand, DeliveryView | DomainError> {
  constructor(private readonly outbox: Outbox) {}

  execute(cmd: RedeliverCommand): Promise<DeliveryView | DomainError> {
    return this.outbox.redeliver(cmd.appId, cmd.deliveryId);
  }
}

@QueryHandler(ListWebhookEndpointsQuery)
export class ListWebhookEndpointsHandler implements IQueryHandler<ListWebhookEndpointsQuery, WebhookEndpoint[]> {
  constructor(private readonly endpoints: EndpointDecisions) {}

  async execute(q: ListWebhookEndpointsQuery): Promise<WebhookEndpoint[]> {
    return [...(await this.endpoints.current(q.appId)).values()];
  }
}

@QueryHandler(GetWebhookEndpointQuery)
export class GetWebhookEndpointHandler implements IQueryHandler<GetWebhookEndpointQuery, EndpointResult> {
  constructor(private readonly endpoints: EndpointDecisions) {}

  async execute(q: GetWebhookEndpointQuery): Promise<EndpointResult> {
    return (await this.endpoints.current(q.appId)).get(q.id) ?? endpointNotFound();
  }
}

@QueryHandler(ListDeliveriesQuery)
export class ListDeliveriesHandler implements IQueryHandler<ListDeliveriesQuery, DeliveryView[] | DomainError> {
  constructor(
    private readonly endpoints: EndpointDecisions,
    private readonly outbox: Outbox,
  ) {}

  async execute(q: ListDeliveriesQuery): Promise<DeliveryView[] | DomainError> {
    if (!(await this.endpoints.current(q.appId)).has(q.endpointId)) return endpointNotFound();
    return this.outbox.deliveries(q.appId, q.endpointId, q.limit);
  }
}
