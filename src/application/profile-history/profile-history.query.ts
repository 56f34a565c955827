import { ProfileRef } from '../shared/profile-ref';

export class GetProfileHistoryQuery {
  constructor(
    readonly ref: ProfileRef,
    readonly limit: number,
    /** Revision to start from (inclusive), decoded from the opaque cursor. */
    readonly fromRevision: bigint,
  ) {}
}

export class GetProfileAsOfQuery {
  constructor(
    readonly ref: ProfileRef,
    readonly asOf: string,
  ) {}
}

export interface HistoryEntry {
  event_id: string;
  type: string;
  revision: number;
  recorded_at: string;
  data: Record<string, unknown>;
  source: { source: string | null; app_id: string | null };
}

export interface HistoryPage {
  data: HistoryEntry[];
  next_revision: bigint | null;
}
