import { appStoreNotConfigured, appStoreSetupStreamId, recordAppNotification } from '../../domain/app-store/app-store-setup';
import { DomainError } from '../../domain/shared/domain-error';
import { CommandContext } from '../shared/command-context';
import { IntakeOutcomes } from '../shared/intake-outcomes';
import { AppStoreChains } from './app-store-chains';
import { AppStoreVerifier, RefusalReason } from './app-store-ports';
import { AppStoreSetupRepository } from './app-store-repositories';

export const APP_STORE = 'app_store';

export interface IntakeResult {
  notification_uuid: string;
  notification_type: string;
  /** accepted, duplicate, unattributed (waits for a profile), test, erased (its profile was deleted). */
  outcome: string;
}

const REFUSALS: ReadonlyMap<RefusalReason, (detail: string) => DomainError> = new Map([
  ['malformed', (d: string) => new DomainError('store_notification_malformed', 'signedPayload', `Not an App Store Server Notification V2: ${d}`)],
  ['signature', (d: string) => new DomainError('store_signature_invalid', 'signedPayload', `The signature or its certificate chain does not verify: ${d}`)],
  ['bundle', (d: string) => new DomainError('store_app_mismatch', 'signedPayload', `The notification is for another app (bundle id or app Apple id): ${d}`)],
  ['environment', (d: string) => new DomainError('store_environment_refused', 'signedPayload', `This app does not accept notifications from that environment: ${d}`)],
]);

export const verificationUnavailable = (detail: string): DomainError =>
  new DomainError('store_verification_unavailable', null, `The signature could not be checked now (${detail}); try again.`);

/** Apple's body as Apple sends it: `{"signedPayload": "<JWS>"}`. */
function signedPayloadOf(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const value = (body as { signedPayload?: unknown }).signedPayload;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * The App Store's door: verified intake → an event with Apple's evidence → attribution → the
 * ledger's own transaction events. A verified notification is answered 2xx once recorded (repeats,
 * no-op types and unattributed ones too); what will never verify is a 4xx with nothing recorded.
 */
export class AppStoreIntake {
  constructor(
    private readonly setups: AppStoreSetupRepository,
    private readonly chains: AppStoreChains,
    private readonly verifier: AppStoreVerifier,
    private readonly outcomes: IntakeOutcomes,
    private readonly context: CommandContext,
  ) {}

  async receive(appId: string, body: unknown, source = 'app_store.notification'): Promise<IntakeResult | DomainError> {
    const { state } = await this.setups.load(appStoreSetupStreamId(appId));
    if (state.setup === null) {
      this.outcomes.passing('not_configured');
      return appStoreNotConfigured();
    }
    const payload = signedPayloadOf(body);
    const verification = payload === null ? ({ ok: false, reason: 'malformed', retryable: false, detail: 'the body must be {"signedPayload": "…"}' } as const) : await this.verifier.verify(state.setup, payload);
    if (!verification.ok) {
      if (verification.retryable) {
        this.outcomes.passing('unavailable');
        return verificationUnavailable(verification.detail);
      }
      await this.outcomes.count(appId, `refused_${verification.reason}`);
      return REFUSALS.get(verification.reason)!(verification.detail);
    }
    const { notification: n, summary } = verification.value;
    const meta = this.context.metadata({ appId, source, commandId: `app-store:${n.notification_uuid}` });
    let outcome: string;
    if (n.transaction === null) {
      const now = this.context.clock.now();
      const result = await this.setups.execute(appStoreSetupStreamId(appId), (s) => recordAppNotification(s, { notification: n, summary, signedPayload: payload! }, now), meta);
      outcome = result.ok && result.appended === 0 ? 'duplicate' : n.notification_type === 'TEST' ? 'test' : 'accepted';
    } else {
      outcome = await this.chains.receive(appId, n, payload!, meta);
    }
    await this.outcomes.count(appId, outcome);
    return { notification_uuid: n.notification_uuid, notification_type: n.notification_type, outcome };
  }

}
