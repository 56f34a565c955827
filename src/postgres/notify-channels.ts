/** LISTEN/NOTIFY channels; each notification's payload is a log position. */

/** Each commit that appended events announces the log's new head. */
export const EVENTS_CHANNEL = 'ledger_events';
/** Each projection commit announces the read models' new checkpoint. */
export const READ_MODELS_CHANNEL = 'ledger_read_models';
