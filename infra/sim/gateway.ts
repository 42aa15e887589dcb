/**
 * The gateway as `up` deploys it, one request at a time on a simulated clock:
 * the same topology, the same settings, the same policy contract (issue #9).
 *
 * Pool mode (policies/partials/pool-attempts.hbs, infra/components/gateway-backends.ts):
 * the route's pool picks a member whose circuit breaker is closed, lowest
 * priority number first, weighted random inside the group (APIM backends
 * page: lower priority groups only when every higher one is tripped). A 429
 * (or 5xx) counts against that member's breaker rule (failureCount within
 * interval trips it for Retry-After when acceptRetryAfter, else
 * tripDuration). The policy retries on 429 or 503 until the route had one try
 * per member, within `retry count` (createPolicyContext(topology).retryCount).
 * A pool with every member tripped answers 503 without a call.
 *
 * Policy mode (policies/partials/policy-attempts.hbs): per attempt the
 * lowest-priority, weighted-random member the request has not excluded; a
 * member remembered as throttled in the cache is skipped without a call; a
 * 429 is remembered for its Retry-After (whole seconds, as the policy stores
 * Unix seconds) and excludes the member for the rest of the request.
 *
 * Outcome (policy contract): served; else 429 when any member was throttled
 * (Retry-After known), else 503.
 *
 * Bounded wait (issue #21, policies/partials/bounded-wait.hbs): when a pass
 * ends throttled and the soonest member is back (the Unix second
 * floor(pass start) + smallest Retry-After of the pass; in pool mode also the
 * route's remembered back-at times, ceil of the tripped breakers' ends) no
 * later than floor(arrival) + maxWaitSeconds, the request is held: the policy
 * polls once a second (arrival + k) and runs a new pass at the first turn
 * whose second has reached that time. As in the emulator (requests run one at
 * a time), the held request's later passes run before the next arrival is
 * handled.
 *
 * State: breakers and the pool's random generator per gateway unit (APIM
 * backends page: "Different instances of the gateway don't synchronize");
 * requests go round robin over the units as the emulator's `--instances`
 * does. The policy's cache is the built-in cache, shared by all units of a
 * region (Learn api-management-howto-cache), unless `cache: "unit"`.
 */
import type { CircuitBreakerConfig, RoutingMode } from "../config/schema";
import { isoDurationSeconds } from "../policies/render";
import type { RouteMember } from "../model/topology";
import type { Rng } from "./rng";
import type { Upstream } from "./upstream";

export interface GatewayRoute {
  /** Indexes into the gateway's member list, in the topology's order (priority, then account). */
  readonly members: readonly number[];
}

export interface RequestOutcome {
  /** 200, 429 or 503 as the client sees it. */
  status: 200 | 429 | 503;
  /** Member index that served, or -1. */
  servedBy: number;
  /** Upstream calls made for this request. */
  calls: number;
  /** Served by the target of native spillover. */
  spillover: boolean;
  /** Seconds the gateway held the request (bounded wait): from arrival to its last pass. */
  waited: number;
  /** The Retry-After (seconds) of a 429 answer: to the soonest member back; 0 otherwise. */
  retryAfter: number;
}

export interface MemberCounters {
  calls: number;
  served: number;
  throttled: number;
  spilloverServed: number;
  /** Served by calls before `GatewayOptions.runEnd` (held requests are served after the run ends). */
  servedInRun: number;
}

interface Breaker {
  failures: number[];
  openUntil: number;
}

export interface GatewayOptions {
  readonly mode: RoutingMode;
  readonly units: number;
  readonly retryCount: number;
  readonly circuitBreaker: CircuitBreakerConfig;
  /** Where policy mode's throttle memory lives: the built-in cache shared by all units (default) or per unit. */
  readonly cache?: "shared" | "unit";
  /** Called after every upstream call (tests and traces): time, member index, 200 or 429. */
  readonly onCall?: (t: number, member: number, status: 200 | 429) => void;
  /** End of the offered load (seconds): calls served later count in `served` but not in `servedInRun`. */
  readonly runEnd?: number;
  /** Bounded wait (routing.maxWaitSeconds); 0 or absent: none. */
  readonly maxWaitSeconds?: number;
}

export class Gateway {
  readonly counters: MemberCounters[];
  private readonly breakers: Breaker[][];
  private readonly caches: Float64Array[];
  private readonly interval: number;
  private readonly tripDuration: number;
  private next = 0;
  private readonly outcome: RequestOutcome = {
    status: 200,
    servedBy: -1,
    calls: 0,
    spillover: false,
    waited: 0,
    retryAfter: 0,
  };
  private readonly excluded: Uint8Array;
  private readonly priority: Int32Array;
  private readonly weight: Int32Array;

  constructor(
    private readonly options: GatewayOptions,
    members: readonly RouteMember[],
    private readonly upstreams: readonly Upstream[],
    private readonly unitRngs: readonly Rng[],
  ) {
    const units = Math.max(1, options.units);
    this.counters = members.map(() => ({ calls: 0, served: 0, throttled: 0, spilloverServed: 0, servedInRun: 0 }));
    this.breakers = Array.from({ length: units }, () => members.map(() => ({ failures: [], openUntil: 0 })));
    const caches = options.cache === "unit" ? units : 1;
    this.caches = Array.from({ length: caches }, () => new Float64Array(members.length).fill(Number.NEGATIVE_INFINITY));
    this.interval = isoDurationSeconds(options.circuitBreaker.interval);
    this.tripDuration = isoDurationSeconds(options.circuitBreaker.tripDuration);
    this.excluded = new Uint8Array(members.length);
    this.priority = Int32Array.from(members, (m) => m.priority);
    this.weight = Int32Array.from(members, (m) => m.weight);
  }

  /** Handle one client request at time `t`. The returned object is reused by the next call. */
  handle(t: number, route: GatewayRoute, tokens: number): Readonly<RequestOutcome> {
    const unit = this.next;
    this.next = (this.next + 1) % this.breakers.length;
    const o = this.outcome;
    o.calls = 0;
    o.waited = 0;
    const maxWait = this.options.maxWaitSeconds ?? 0;
    const deadline = Math.floor(t) + maxWait;
    // The polling retry's count (render.ts): maxWaitSeconds + 1 turns at most.
    const turns = Math.min(50, maxWait + 1);
    for (let k = 0; ;) {
      const now = t + k;
      o.status = 503;
      o.servedBy = -1;
      o.spillover = false;
      o.waited = k;
      const back =
        this.options.mode === "pool" ? this.pool(now, unit, route, tokens) : this.policy(now, unit, route, tokens);
      const status: number = o.status;
      o.retryAfter = status === 429 && back > 0 ? Math.max(1, back - Math.floor(now)) : 0;
      if (status === 200 || maxWait === 0 || back === 0 || back > deadline) break;
      let next = k + 1;
      while (Math.floor(t + next) < back) next++;
      if (next > turns) break;
      k = next;
    }
    return o;
  }

  private call(t: number, m: number, tokens: number): number {
    const c = this.counters[m];
    c.calls++;
    this.outcome.calls++;
    const answer = this.upstreams[m].call(t, tokens);
    this.options.onCall?.(t, m, answer.status);
    if (answer.status === 200) {
      c.served++;
      if (t < (this.options.runEnd ?? Number.POSITIVE_INFINITY)) c.servedInRun++;
      if (answer.spillover) c.spilloverServed++;
      this.outcome.status = 200;
      this.outcome.servedBy = m;
      this.outcome.spillover = answer.spillover;
      return 0;
    }
    c.throttled++;
    return answer.retryAfter;
  }

  /**
   * Weighted random over the best-priority members not blocked (`blocked[m]` 0), as the pool and the
   * policy pick: the lowest priority number wins, then `rng.int(total weight)` walks the group in order.
   */
  private pick(route: GatewayRoute, rng: Rng, blocked: Uint8Array): number {
    const priority = this.priority;
    const weight = this.weight;
    const list = route.members;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (blocked[m] === 0 && priority[m] < best) best = priority[m];
    }
    if (best === Number.POSITIVE_INFINITY) return -1;
    let total = 0;
    let count = 0;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (blocked[m] === 0 && priority[m] === best) {
        total += weight[m];
        count++;
      }
    }
    const even = total === 0;
    let r = rng.int(even ? count : total);
    let last = -1;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (blocked[m] === 0 && priority[m] === best) {
        last = m;
        r -= even ? 1 : weight[m];
        if (r < 0) return m;
      }
    }
    return last;
  }

  /** One pass in pool mode; returns the second the soonest throttled member is back (0: none, or served). */
  private pool(t: number, unit: number, route: GatewayRoute, tokens: number): number {
    const breakers = this.breakers[unit];
    const rng = this.unitRngs[unit % this.unitRngs.length];
    const cb = this.options.circuitBreaker;
    const maxTries = 1 + this.options.retryCount;
    let throttled = false;
    let minRetryAfter = 0;
    const open = this.excluded;
    for (let tries = 1; ; tries++) {
      for (const k of route.members) open[k] = t < breakers[k].openUntil ? 1 : 0;
      const m = this.pick(route, rng, open);
      let status: 200 | 429 | 503 = 503;
      if (m >= 0) {
        const retryAfter = this.call(t, m, tokens);
        if (retryAfter === 0) return 0;
        status = 429;
        throttled = true;
        minRetryAfter = minRetryAfter === 0 ? retryAfter : Math.min(minRetryAfter, retryAfter);
        const b = breakers[m];
        b.failures = b.failures.filter((f) => f > t - this.interval);
        b.failures.push(t);
        if (b.failures.length >= cb.failureCount) {
          b.openUntil = t + (cb.acceptRetryAfter ? retryAfter : this.tripDuration);
          b.failures = [];
        }
      }
      const again = (status === 429 || status === 503) && route.members.length > tries && tries < maxTries;
      if (!again) break;
    }
    // Every try failed: 429 when a member was throttled (in this request, or the route is
    // remembered throttled), else 503. With breakers tripping only on 429 here, a
    // tripped pool always means throttling.
    this.outcome.status = throttled || this.anyTripped(unit, route, t) ? 429 : 503;
    // The policy's back-at: this pass's smallest Retry-After from the pass's second, and the route's
    // remembered 429s (ceil(429 time) + Retry-After = ceil of the breaker's end when it trips for Retry-After).
    let back = minRetryAfter > 0 ? Math.floor(t) + minRetryAfter : 0;
    for (const m of route.members) {
      const until = this.breakers[unit][m].openUntil;
      if (until > t) back = back === 0 ? Math.ceil(until) : Math.min(back, Math.ceil(until));
    }
    return back;
  }

  private anyTripped(unit: number, route: GatewayRoute, t: number): boolean {
    return route.members.some((m) => t < this.breakers[unit][m].openUntil);
  }

  /** One pass in policy mode; returns the second the soonest throttled member is back (0: none, or served). */
  private policy(t: number, unit: number, route: GatewayRoute, tokens: number): number {
    const cache = this.caches[this.caches.length === 1 ? 0 : unit];
    const rng = this.unitRngs[unit % this.unitRngs.length];
    const excluded = this.excluded;
    for (const m of route.members) excluded[m] = 0;
    const nowSec = Math.floor(t);
    const maxTries = 1 + this.options.retryCount;
    let retryAfterSeen = 0;
    for (let tries = 1; ; tries++) {
      const m = this.pick(route, rng, excluded);
      if (m < 0) break;
      const until = cache[m];
      if (until > nowSec) {
        retryAfterSeen = retryAfterSeen === 0 ? until - nowSec : Math.min(retryAfterSeen, until - nowSec);
        excluded[m] = 1;
      } else {
        const retryAfter = this.call(t, m, tokens);
        if (retryAfter === 0) return 0;
        retryAfterSeen = retryAfterSeen === 0 ? retryAfter : Math.min(retryAfterSeen, retryAfter);
        cache[m] = nowSec + retryAfter;
        excluded[m] = 1;
      }
      const left = route.members.some((k) => excluded[k] === 0);
      if (!left || tries >= maxTries) break;
    }
    // Retry count exhausted with members left: the last member's 429 passes through.
    this.outcome.status = retryAfterSeen > 0 ? 429 : 503;
    return retryAfterSeen > 0 ? nowSec + retryAfterSeen : 0;
  }
}
