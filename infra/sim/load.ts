/**
 * Offered load: request arrivals per route over simulated time. Poisson
 * arrivals (seeded) whose rate follows a profile; every request costs the
 * same estimated tokens (prompt + max_tokens, what Azure counts at arrival).
 */
import type { Rng } from "./rng";

export const PROFILES = ["steady", "ramp", "burst"] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * Rate multiplier at time `t` of `duration` seconds, and its maximum.
 * - steady: 1 throughout.
 * - ramp: rises linearly from 0 to 2, so the mean is 1 and the run sweeps from idle to twice the load.
 * - burst: each minute 15 s at 2.5 then 45 s at 0.5 (mean 1): short peaks over an average load.
 */
export function profileRate(profile: Profile, t: number, duration: number): number {
  switch (profile) {
    case "steady":
      return 1;
    case "ramp":
      return duration > 0 ? (2 * t) / duration : 1;
    case "burst":
      return t % 60 < 15 ? 2.5 : 0.5;
  }
}

const PROFILE_MAX: Record<Profile, number> = { steady: 1, ramp: 2, burst: 2.5 };

export interface RouteLoad {
  /** Mean requests per minute offered to the route. */
  readonly rpm: number;
}

/**
 * Arrivals merged over routes in time order: `onArrival(t, routeIndex)` for
 * each. Per route, a Poisson process at `rpm x profile(t)` (thinning).
 */
export function forEachArrival(
  routes: readonly RouteLoad[],
  duration: number,
  profile: Profile,
  rng: Rng,
  onArrival: (t: number, route: number) => void,
): void {
  const max = PROFILE_MAX[profile];
  const rates = routes.map((r) => (r.rpm / 60) * max);
  const nextAt = rates.map(() => 0);
  const draw = (i: number, from: number): number => {
    let t = from;
    for (;;) {
      t += -Math.log(1 - rng.next()) / rates[i];
      if (t >= duration) return Number.POSITIVE_INFINITY;
      if (rng.next() * max < profileRate(profile, t, duration)) return t;
    }
  };
  for (let i = 0; i < routes.length; i++) nextAt[i] = rates[i] > 0 ? draw(i, 0) : Number.POSITIVE_INFINITY;
  for (;;) {
    let best = -1;
    let bestT = Number.POSITIVE_INFINITY;
    for (let i = 0; i < nextAt.length; i++) {
      if (nextAt[i] < bestT) {
        bestT = nextAt[i];
        best = i;
      }
    }
    if (best < 0) return;
    onArrival(bestT, best);
    nextAt[best] = draw(best, bestT);
  }
}
