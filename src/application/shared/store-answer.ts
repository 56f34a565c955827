/** A store API's answer: the value, or why it could not be had now (the caller answers 5xx so the store retries). */
export type StoreAnswer<T> = { ok: true; value: T } | { ok: false; detail: string };
