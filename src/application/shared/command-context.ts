import { DecideContext } from '../../domain/profile/profile.decide';
import { Clock } from '../../domain/shared/clock';
import { IdGenerator } from '../../domain/shared/uuid';
import { EventMetadata } from './event-sourced-repository';
import { Origin } from './profile-ref';

/** Time and ids for decisions, and the metadata every event of a command carries: both from outside. */
export class CommandContext {
  constructor(
    readonly clock: Clock,
    readonly ids: IdGenerator,
  ) {}

  decide(): DecideContext {
    return { now: this.clock.now(), newId: () => this.ids.next() };
  }

  /** `commandId` names the command (event ids derive from it); one is drawn when the caller has none. */
  metadata(origin: Origin): EventMetadata {
    return { app_id: origin.appId, source: origin.source, command_id: origin.commandId ?? this.ids.next() };
  }
}
