/** Where each store intake counts its outcomes (beside the read models). */
export const STORE_INTAKE_STATS = Symbol('STORE_INTAKE_STATS');

/** Where each store setup keeps its secrets (beside the read models, never in the log). */
export const STORE_SECRETS = Symbol('STORE_SECRETS');

/** What a store intake reports to monitoring (Prometheus in the server, nothing in the CLI). */
export interface IntakeMetrics {
  storeNotification(store: string, outcome: string): void;
}
