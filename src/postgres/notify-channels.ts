/** LISTEN/NOTIFY channels. */

/** Each commit that appended events announces the log's new head. */
export const EVENTS_CHANNEL = 'ledger_events';
/** Each projection commit announces the read models' new checkpoint; a rebuild's swap announces REBUILT. */
export const READ_MODELS_CHANNEL = 'ledger_read_models';
export const REBUILT = 'rebuilt';
