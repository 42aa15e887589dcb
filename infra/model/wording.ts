/**
 * Small pure helpers shared by plan, simulate's report and config checks (issue #17): how a token quota
 * period reads, and rounding shares so the shown numbers add up.
 */

/** The noun of a token quota period (`tokenQuotaPeriod`), as in "50 tokens a month". */
export const PERIOD_WORD: Readonly<Record<string, string>> = {
  Hourly: "hour",
  Daily: "day",
  Weekly: "week",
  Monthly: "month",
  Yearly: "year",
};

/** `a month`, or `a period` for an unknown period. */
export function perPeriod(period: string | null | undefined): string {
  return `a ${PERIOD_WORD[period ?? ""] ?? "period"}`;
}

/**
 * Whole units of `scale` for shares that sum to any positive total, rounded by largest remainder so they
 * add up to exactly `scale` (issue #17: 37.5/62.5 was shown as 38/63, 101 in all).
 */
export function largestRemainder(shares: readonly number[], scale: number): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (total <= 0) return shares.map(() => 0);
  const exact = shares.map((v) => (scale * v) / total);
  const floors = exact.map(Math.floor);
  let left = scale - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((v, i) => ({ i, rest: v - Math.floor(v) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}
