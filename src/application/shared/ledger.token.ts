export const LEDGER = Symbol('LEDGER');
