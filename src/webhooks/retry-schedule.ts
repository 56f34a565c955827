/** Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (seconds, per attempt). */
export const DEFAULT_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

export function parseRetrySchedule(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETRY_SCHEDULE;
  const steps = raw.split(',').map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error('WEBHOOK_RETRY_SCHEDULE must be comma-separated non-negative seconds, e.g. 0,1,2');
  }
  return steps;
}

/**
 * Delay before attempt number `attempt` (0-based), or null when attempts are used up.
 * ±10 % jitter spreads retries of many deliveries that failed together.
 */
export function delayBeforeAttempt(schedule: number[], attempt: number, random: () => number = Math.random): number | null {
  if (attempt >= schedule.length) return null;
  const base = schedule[attempt] * 1000;
  return Math.round(base * (0.9 + 0.2 * random()));
}
