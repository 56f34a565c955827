/**
 * Advisory-lock keys of everything the ledger keeps in one PostgreSQL database (two-int form; the
 * first int is 'ledg' in ASCII so the ledger's locks do not collide with an application's own
 * one-int advisory locks in the same database).
 */
export const LOCK_CLASS = 0x6c656467;

const key = (n: number) => `${LOCK_CLASS}, ${n}`;

/** Creating or upgrading the event store's tables and functions. */
export const EVENT_STORE_SETUP_LOCK = key(0);
/** Every writer of the log (appends and deletes). */
export const APPEND_LOCK = key(1);
/** Creating or upgrading the read models' tables. */
export const READ_MODEL_SETUP_LOCK = key(2);
/** Claims of webhook deliveries: one at a time, so "next in its profile's order" holds across nodes. */
export const DELIVERY_CLAIM_LOCK = key(3);
/** A `ledger rebuild` or `ledger verify` building scratch tables: one at a time per database. */
export const REBUILD_LOCK = key(4);
