import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '../domain/shared/domain-error';
import { webhookUrlNotAllowed, webhookVerificationFailed, WebhookEndpoint } from '../domain/webhooks/webhook-endpoint';
import { literalAddressOf, staticUrlProblem } from './address-policy';
import { guardedLookup, isAddressRefused } from './guarded-lookup';
import { sendWebhook, SendOptions } from './webhook-sender';

/** The echo an `adapty_check` handshake wants back, or undefined. */
function echoOf(body: string): unknown {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? (parsed as { adapty_check_response?: unknown }).adapty_check_response : undefined;
  } catch {
    return undefined;
  }
}

/** Judges an endpoint before it is saved: its URL against the address policy, then its handshake. */
export class EndpointVerifier {
  constructor(private readonly options: SendOptions) {}

  /** Null when the endpoint may be saved. */
  async check(endpoint: WebhookEndpoint, now: Date): Promise<DomainError | null> {
    const problem = await this.urlProblem(endpoint.url);
    if (problem) return webhookUrlNotAllowed(problem);
    return endpoint.verification === 'none' ? null : this.handshake(endpoint, now);
  }

  private async urlProblem(raw: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'not a valid URL';
    }
    const problem = staticUrlProblem(url, this.options.allowPrivateAddresses);
    if (problem || this.options.allowPrivateAddresses || literalAddressOf(url) !== null) return problem;
    // A name is judged now too, so an endpoint saved without a handshake is refused as early;
    // every request resolves it again through the same guard. An unknown name is not refused
    // here: the handshake reports it, and `none` endpoints may name a host that comes later.
    return new Promise((resolve) =>
      guardedLookup(url.hostname, { all: true }, (error) => resolve(error && isAddressRefused(error) ? error.message : null)),
    );
  }

  /** Adapty's check when an endpoint is saved, in the endpoint's chosen form. */
  private async handshake(endpoint: WebhookEndpoint, now: Date): Promise<DomainError | null> {
    const check = endpoint.verification === 'adapty_check' ? randomBytes(12).toString('hex') : null;
    const body = check === null ? '{}' : JSON.stringify({ adapty_check: check });
    const answer = await sendWebhook(endpoint, `verify_${randomUUID()}`, body, now, this.options);
    if (answer.refused !== null) return webhookUrlNotAllowed(answer.refused);
    if (answer.status === null) return webhookVerificationFailed(answer.error ?? 'no answer');
    if (answer.status < 200 || answer.status > 299) return webhookVerificationFailed(`the endpoint answered HTTP ${answer.status} to the verification request`);
    if (check !== null && echoOf(answer.body) !== check) {
      return webhookVerificationFailed(`the endpoint did not answer {"adapty_check_response": "${check}"} to {"adapty_check": "${check}"}`);
    }
    return null;
  }
}

export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
