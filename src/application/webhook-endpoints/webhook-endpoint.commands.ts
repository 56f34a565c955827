import { Environment } from '../../domain/profile/profile.events';
import { EndpointChanges, VerificationMode } from '../../domain/webhooks/webhook-endpoint';

export class CreateWebhookEndpointCommand {
  constructor(
    readonly appId: string,
    readonly url: string,
    readonly verification: VerificationMode,
    readonly authorization: string | null,
    readonly eventTypes: string[] | null,
    readonly environment: Environment | null,
  ) {}
}

export class UpdateWebhookEndpointCommand {
  constructor(
    readonly appId: string,
    readonly id: string,
    readonly changes: EndpointChanges,
  ) {}
}

export class DeleteWebhookEndpointCommand {
  constructor(
    readonly appId: string,
    readonly id: string,
  ) {}
}

export class RotateWebhookSecretCommand {
  constructor(
    readonly appId: string,
    readonly id: string,
  ) {}
}

export class RedeliverCommand {
  constructor(
    readonly appId: string,
    readonly deliveryId: string,
  ) {}
}

export class ListWebhookEndpointsQuery {
  constructor(readonly appId: string) {}
}

export class GetWebhookEndpointQuery {
  constructor(
    readonly appId: string,
    readonly id: string,
  ) {}
}

export class ListDeliveriesQuery {
  constructor(
    readonly appId: string,
    readonly endpointId: string,
    readonly limit: number,
  ) {}
}
