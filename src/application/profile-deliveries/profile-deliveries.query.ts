import { DeliveryView } from '../../projections/read-model-store.port';

/** One profile's webhook deliveries in the caller's app, newest first. */
export class ListProfileDeliveriesQuery {
  constructor(
    readonly appId: string,
    readonly profileId: string,
    readonly limit: number,
    /** Continue below this outbox sequence (decoded from the opaque cursor); null: from the newest. */
    readonly beforeSeq: number | null,
  ) {}
}

export interface ProfileDeliveriesPage {
  data: DeliveryView[];
  nextBeforeSeq: number | null;
}
