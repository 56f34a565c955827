import { DomainError } from '../../domain/shared/domain-error';
import { EndpointEvent, endpointNotFound, EndpointsState, endpointsStreamId } from '../../domain/webhooks/webhook-endpoint';
import { ProjectionEngine } from '../../projections/engine/projection-engine';
import { CommandContext } from '../shared/command-context';
import { readModelUnavailable } from '../shared/read-model-freshness';
import { EndpointRepository } from '../shared/repositories';

/** How long a change waits for the outbox to take it in before its 2xx (deliveries after it use it). */
const OUTBOX_WAIT_MS = 10_000;

/** Decides on the app's endpoint stream, then waits until the outbox knows the new configuration. */
export class EndpointDecisions {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly engine: ProjectionEngine,
    private readonly context: CommandContext,
  ) {}

  async decide(appId: string, source: string, decide: (s: EndpointsState) => EndpointEvent[] | DomainError): Promise<EndpointsState | DomainError> {
    const result = await this.endpoints.execute(endpointsStreamId(appId), decide, this.context.metadata({ appId, source }));
    if (!result.ok) return 'error' in result ? result.error : endpointNotFound();
    if (result.position !== null) {
      try {
        await this.engine.reach(result.position, OUTBOX_WAIT_MS);
      } catch {
        return readModelUnavailable('the change is recorded, but the outbox has not taken it in yet');
      }
    }
    return result.state;
  }

  async current(appId: string): Promise<EndpointsState> {
    return (await this.endpoints.load(endpointsStreamId(appId))).state;
  }
}
