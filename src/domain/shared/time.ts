/** Instants travel through events as ISO strings with millisecond precision, in UTC. */
export type Iso = string;

export const toMs = (iso: Iso): number => Date.parse(iso);

export const normalizeIso = (value: string): Iso => new Date(value).toISOString();

/** Adapty v2 response style: `2024-12-24T10:50:23+00:00`, fractions only when non-zero. */
export function formatApiDate(iso: Iso | null | undefined): string | null {
  if (!iso) return null;
  // Stored instants are toISOString() output: reformat the text, no Date needed (a hot path of GET).
  if (iso.length === 24 && iso.endsWith('Z')) {
    const ms = iso.slice(20, 23);
    return ms === '000' ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${ms}000+00:00`;
  }
  const d = new Date(iso);
  const base = d.toISOString().slice(0, 19);
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms).padStart(3, '0')}000+00:00`;
}

/**
 * `2020-07-10T15:00:00.000000+0000`: Adapty's webhook and legacy v1 style. Stored instants are
 * toISOString() output already, so the text is reformatted without a Date (a hot path).
 */
export function formatMicrosDate(iso: Iso | null | undefined): string | null {
  if (!iso) return null;
  const d = iso.length === 24 && iso.endsWith('Z') ? iso : new Date(iso).toISOString();
  return `${d.slice(0, 19)}.${d.slice(20, 23)}000+0000`;
}

/** Python's str(datetime), as in Adapty's revoke error message: `2028-08-29 09:33:42+00:00` (`.ffffff` when not whole seconds). */
export function formatPythonDate(iso: Iso): string {
  const d = new Date(iso);
  const ms = d.getUTCMilliseconds();
  const fraction = ms === 0 ? '' : `.${String(ms).padStart(3, '0')}000`;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}${fraction}+00:00`;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses the ISO 8601 forms Adapty documents (`…Z`, `…+00:00`, `….000000+0000`, a bare date)
 * into an ISO string; null when the text is not such an instant. Without an offset, UTC.
 */
export function parseInstant(text: string): Iso | null {
  const m = INSTANT.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = (frac + '000').slice(0, 3);
  let offset = zone.toUpperCase() === 'Z' ? 'Z' : zone;
  if (offset !== 'Z') offset = offset.length === 3 ? `${offset}:00` : offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  // Reject dates that Date would roll over, such as February 30th.
  const check = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return new Date(t).toISOString();
}
