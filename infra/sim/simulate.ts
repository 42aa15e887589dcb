/**
 * `aoai-gateway simulate` (issue #13): what a stack serves at a given load
 * before it is deployed. Pure: imports nothing from Pulumi or Azure, never
 * sleeps (simulated clock), deterministic for a seed.
 */
import { regionalPriorities } from "../model/gateway-regions";
import type { RouteMember, Topology } from "../model/topology";
import { createPolicyContext } from "../policies/render";
import { Gateway, type GatewayRoute, type RequestOutcome } from "./gateway";
import { type Profile, forEachArrival } from "./load";
import { createRng } from "./rng";
import { DEFAULT_WINDOW_SECONDS, type SpilloverResolver, buildUpstreams, spilloverFromTopology } from "./upstream";

/** Offered load: a share of the plan's usable TPM, or requests per minute over the whole gateway. */
export type LoadSpec = { readonly load: number } | { readonly rpm: number };

export interface SimulationOptions {
  readonly load: LoadSpec;
  /** Estimated tokens per request (prompt + max_tokens). Default 1000. */
  readonly tokensPerRequest?: number;
  /** Simulated seconds. Default 600. */
  readonly durationSeconds?: number;
  /** Default steady. */
  readonly profile?: Profile;
  /** Default 1. */
  readonly seed?: number;
  /** Azure's rate-limit window. Default 10 s. */
  readonly windowSeconds?: number;
  /** Policy mode's throttle memory: shared built-in cache (default) or one per unit. */
  readonly cache?: "shared" | "unit";
  /** Native spillover lookup (default: the deployment's `spilloverDeployment`, when config has it). */
  readonly spillover?: SpilloverResolver;
  /**
   * Requests per minute per route, by deployment name, overriding `load`
   * (used by --compare so every setting gets the same load).
   */
  readonly routeRpm?: Readonly<Record<string, number>>;
  /** Called after every upstream call with the member's backend id (tests, traces). */
  readonly onCall?: (t: number, backend: string, status: 200 | 429) => void;
  /**
   * Share of the offered requests each named team sends (issue #17, `--team-share NAME=FRACTION`); the
   * rest comes from callers the stack puts no own limit on. Each team's tokensPerMinute / tokenQuota apply.
   */
  readonly teamShares?: readonly TeamShare[];
  /** Bounded wait in seconds (issue #21); default the stack's `routing.maxWaitSeconds`. */
  readonly maxWaitSeconds?: number;
  /**
   * Client retries after a 429 or 503, as the OpenAI SDKs do (issue #21): default 0 (every client
   * request counted once). The SDKs' default is 2: they sleep `retry-after-ms` (else Retry-After) and
   * send the same request again (openai-node 6.x client.js retryRequest/shouldRetry).
   */
  readonly clientRetries?: number;
  /**
   * Several gateway regions (issue #22): each client request arrives at one region, by these shares (region ->
   * weight; default: equal). Regions the topology does not have are an error.
   */
  readonly regionSplit?: Readonly<Record<string, number>>;
  /** A gateway region that is down from `from` until `until` (seconds). */
  readonly regionOutage?: RegionOutage;
  /**
   * Seconds after an outage starts during which requests arriving at the failed region still fail (the global
   * front door has not yet taken it out: probes every 30 s, unhealthy after 2 of 4 fail). Default 60.
   */
  readonly failoverSeconds?: number;
}

export interface RegionOutage {
  readonly region: string;
  readonly from: number;
  readonly until: number;
}

export interface SimulatedRegion {
  readonly location: string;
  /** Requests that arrived at this region (by the split). */
  readonly offeredRequests: number;
  /** Requests this region's gateway served (its own and those failed over to it). */
  readonly servedRequests: number;
  /** Requests this region's gateway handled that arrived at another (failed) region. */
  readonly failedOverIn: number;
  /** Share of all served requests. */
  readonly servedShare: number;
}

export interface SimulatedOutage extends RegionOutage {
  readonly failoverSeconds: number;
  /** Requests offered (at every region) while the region was down. */
  readonly offeredRequests: number;
  readonly servedRequests: number;
  readonly servedShare: number;
  /** Requests that arrived at the failed region before the front door took it out: failed (503). */
  readonly lostBeforeFailover: number;
  /** Requests that arrived at the failed region after that and were served elsewhere. */
  readonly failedOver: number;
}

/** The OpenAI SDKs' default retries (openai-node `maxRetries ?? 2`, openai-python DEFAULT_MAX_RETRIES = 2). */
export const SDK_DEFAULT_RETRIES = 2;

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What a client sees of the bounded wait and of its own retries (issue #21). */
export interface ClientView {
  /** Bounded wait of the run (0: off). */
  readonly maxWaitSeconds: number;
  /** Retries each client makes after a 429 or 503 (0: none). */
  readonly clientRetries: number;
  /** Client requests (each counted once, however often it was retried). */
  readonly requests: number;
  /** Served on the client's first call (the gateway may have held it). */
  readonly servedFirstTry: number;
  /** Served on the first call or one of the client's retries. */
  readonly servedEventually: number;
  readonly servedFirstTryShare: number;
  readonly servedEventuallyShare: number;
  /** Client calls the gateway held (bounded wait), and their share of all calls. */
  readonly heldCalls: number;
  readonly heldShare: number;
  /**
   * Seconds added to served requests by waiting: the gateway's hold plus the client's sleeps before its
   * retries (upstream latency is not modelled). Percentiles over served client requests.
   */
  readonly addedLatencySeconds: LatencyPercentiles;
}

export interface TeamShare {
  readonly name: string;
  /** 0..1 of the offered requests. */
  readonly share: number;
}

export interface SimulatedTeam {
  /** A consumer name, or `(other callers)` for the traffic no --team-share names. */
  readonly name: string;
  readonly share: number;
  readonly tokensPerMinute: number | null;
  readonly tokenQuota: number | null;
  readonly tokenQuotaPeriod: string | null;
  readonly offeredRequests: number;
  readonly servedRequests: number;
  /** Refused by the team's tokens-per-minute limit (client 429). */
  readonly limitedRequests: number;
  /** Refused by the team's token quota (client 403). */
  readonly overQuotaRequests: number;
  /** servedRequests / offeredRequests (1 when nothing was offered). */
  readonly servedShare: number;
}

/** The name the report gives traffic no --team-share names. */
export const OTHER_CALLERS = "(other callers)";

export interface SimulatedPriority {
  readonly priority: number;
  readonly servedRequests: number;
  /** Share of the route's served requests. */
  readonly share: number;
}

export interface SimulatedRoute {
  readonly deployment: string;
  readonly usableTpm: number;
  readonly offeredRequests: number;
  readonly servedRequests: number;
  readonly client429Requests: number;
  readonly client5xxRequests: number;
  readonly offeredTpm: number;
  readonly servedTpm: number;
  /** Served requests by priority group: how far traffic spilled. */
  readonly priorities: readonly SimulatedPriority[];
}

export interface SimulatedMember {
  readonly backend: string;
  readonly route: string;
  readonly account: string;
  readonly sku: string;
  readonly priority: number;
  readonly weight: number;
  /** The member's TPM (its quota, or PTU x tpmPerPtu); null when unknown (modelled unlimited). */
  readonly quotaTpm: number | null;
  readonly quotaRpm: number | null;
  /** Calls the gateway made to this member. */
  readonly requests: number;
  readonly servedRequests: number;
  readonly throttledResponses: number;
  /** Served by this member's native spillover target. */
  readonly spilloverRequests: number;
  /** TPM this deployment served itself (native spillover not included: that is the target's load). */
  readonly servedTpm: number;
  /** servedTpm / quotaTpm, or null. */
  readonly load: number | null;
  /**
   * Native spillover of this member (issue #17): the target deployment's backend id, its TPM, what it
   * served as overflow and its load; null without spillover.
   */
  readonly spillover: {
    readonly backend: string;
    readonly quotaTpm: number | null;
    readonly servedTpm: number;
    readonly load: number | null;
  } | null;
}

export interface TimePoint {
  /** Bucket start, seconds. */
  readonly t: number;
  readonly offeredTpm: number;
  readonly servedTpm: number;
  readonly client429Rpm: number;
  readonly client5xxRpm: number;
}

export interface SimulationResult {
  readonly gateway: string;
  readonly routingMode: string;
  readonly gatewayUnits: number;
  readonly retryCount: number;
  readonly seed: number;
  readonly profile: Profile;
  readonly durationSeconds: number;
  readonly tokensPerRequest: number;
  readonly windowSeconds: number;
  readonly offeredRequests: number;
  readonly servedRequests: number;
  readonly client429Requests: number;
  readonly client5xxRequests: number;
  /** servedRequests / offeredRequests (1 when nothing was offered). */
  readonly servedShare: number;
  readonly offeredTokens: number;
  readonly servedTokens: number;
  readonly offeredTpm: number;
  readonly servedTpm: number;
  /** The plan's total usable TPM. */
  readonly totalTpm: number;
  readonly upstreamCalls: number;
  /** Extra upstream calls per client request (calls - 1, at least 0). */
  readonly retriesPerRequest: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly routes: readonly SimulatedRoute[];
  readonly members: readonly SimulatedMember[];
  readonly timeSeries: { readonly bucketSeconds: number; readonly points: readonly TimePoint[] };
  /** Per team, when --team-share names any (issue #17); else empty. */
  readonly teams: readonly SimulatedTeam[];
  /** Client 403s from team token quotas (client 429s from team TPM limits are in client429Requests). */
  readonly client403Requests: number;
  /** Bounded wait and client retries as clients see them (issue #21). */
  readonly clients: ClientView;
  /** Per gateway region (issue #22): present when the gateway runs in more than one region. */
  readonly regions?: readonly SimulatedRegion[];
  /** The region outage, when one was simulated. */
  readonly outage?: SimulatedOutage;
  readonly warnings: readonly string[];
}

/** Percentiles (nearest rank) of a list of seconds; zeros when empty. */
export function latencyPercentiles(values: number[]): LatencyPercentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))], 3);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted[sorted.length - 1], 3) };
}

/** A min-heap of pending client retries by time (arrivals merged in time order). */
class RetryQueue {
  private readonly items: { t: number; route: number; origin: number; left: number }[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items.length > 0 ? this.items[0].t : Number.POSITIVE_INFINITY;
  }
  push(item: { t: number; route: number; origin: number; left: number }): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].t <= a[i].t) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): { t: number; route: number; origin: number; left: number } {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].t < a[m].t) m = l;
        if (r < a.length && a[r].t < a[m].t) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Requests per minute per route for a load spec: split over routes by their usable TPM. */
export function routeRates(topology: Topology, load: LoadSpec, tokensPerRequest: number): Record<string, number> {
  const total = topology.totalTpm;
  const out: Record<string, number> = {};
  for (const r of topology.routes) {
    const share = total > 0 ? r.usableTpm / total : 1 / topology.routes.length;
    out[r.name] = "load" in load ? (load.load * r.usableTpm) / tokensPerRequest : load.rpm * share;
  }
  return out;
}

function percentile(histogram: readonly number[], count: number, p: number): number {
  if (count === 0) return 0;
  const rank = Math.ceil(p * count);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return i;
  }
  return histogram.length - 1;
}

/**
 * The offered load of a simulation: every arrival (seconds, route index into
 * `topology.routes`) in time order. `simulate` runs exactly this stream, so a
 * test can replay it elsewhere (the executed-policy fidelity test).
 */
export function forEachOfferedRequest(
  topology: Topology,
  options: SimulationOptions,
  onArrival: (t: number, route: number) => void,
): void {
  const tokens = options.tokensPerRequest ?? 1000;
  const rates = options.routeRpm ?? routeRates(topology, options.load, tokens);
  const loads = topology.routes.map((r) => ({ rpm: rates[r.name] ?? 0 }));
  forEachArrival(
    loads,
    options.durationSeconds ?? 600,
    options.profile ?? "steady",
    createRng(options.seed ?? 1, 1),
    onArrival,
  );
}

const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;

export function simulate(topology: Topology, options: SimulationOptions): SimulationResult {
  const tokens = options.tokensPerRequest ?? 1000;
  const duration = options.durationSeconds ?? 600;
  const profile = options.profile ?? "steady";
  const seed = options.seed ?? 1;
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  if (!(tokens > 0)) throw new RangeError(`tokens per request must be positive, got ${tokens}`);
  if (!(duration > 0)) throw new RangeError(`duration must be positive, got ${duration}`);
  const warnings: string[] = [];

  const members: RouteMember[] = topology.routes.flatMap((r) => r.members);
  const spilloverOnlyMember: boolean[] = topology.routes.flatMap((r) => r.members.map(() => r.spilloverOnly));
  const routeOf: string[] = topology.routes.flatMap((r) => r.members.map(() => r.name));
  let index = 0;
  const routes: GatewayRoute[] = topology.routes.map((r) => ({ members: r.members.map(() => index++) }));
  const { upstreams, spillsTo } = buildUpstreams(
    topology,
    members,
    windowSeconds,
    options.spillover ?? spilloverFromTopology,
  );
  members.forEach((m) => {
    // Image, whisper and tts members have no TPM by nature (issue #19): their RPM limits them.
    if (m.deployment.capacityTpm === null && m.deployment.metering !== "requests") {
      warnings.push(`${m.backendId}: TPM unknown (provisioned without tpmPerPtu), modelled without a limit`);
    }
  });

  const context = createPolicyContext(topology);
  // One gateway per region (issue #22): its own units, breakers, caches and random generators, the members'
  // priorities as that region's locality orders them; the accounts (upstreams) are shared.
  const regions = topology.gateway.regions;
  const gateways = regions.map((region, g) => {
    const regional = topology.routes.flatMap((r) => {
      const p = regionalPriorities(r.members, region.location, r.locality);
      return r.members.map((m, i) => (r.locality === "off" ? m : { ...m, priority: p[i] }));
    });
    const regionUnits = Math.max(1, region.capacity);
    return new Gateway(
      {
        mode: topology.routingMode,
        units: regionUnits,
        retryCount: context.retryCount,
        circuitBreaker: topology.circuitBreaker,
        cache: options.cache,
        runEnd: duration,
        maxWaitSeconds: options.maxWaitSeconds ?? topology.maxWaitSeconds,
        onCall: options.onCall && ((t, m, status) => options.onCall?.(t, members[m].backendId, status)),
      },
      regional,
      upstreams,
      Array.from({ length: regionUnits }, (_, u) => createRng(seed, 100 + 1000 * g + u)),
    );
  });
  const units = regions.reduce((n, r) => n + Math.max(1, r.capacity), 0);
  const split = regionWeights(topology, options.regionSplit);
  const outage = options.regionOutage;
  if (outage && !regions.some((r) => r.location === outage.region)) {
    throw new RangeError(
      `region outage ${outage.region}: not a gateway region (${regions.map((r) => r.location).join(", ")})`,
    );
  }
  const failoverSeconds = options.failoverSeconds ?? 60;
  // Its own stream: 7 picks teams (issue #17).
  const regionRng = createRng(seed, 8);
  const perRegion = regions.map(() => ({ offered: 0, served: 0, failedOverIn: 0 }));
  const out = { offered: 0, served: 0, lost: 0, failedOver: 0 };
  const down = (g: number, t: number) =>
    outage !== undefined && regions[g].location === outage.region && t >= outage.from && t < outage.until;
  const pickRegion = (exclude: number): number => {
    let total = 0;
    split.forEach((w, g) => (total += g === exclude ? 0 : w));
    if (total <= 0) return -1;
    let r = regionRng.next() * total;
    for (let g = 0; g < split.length; g++) {
      if (g === exclude) continue;
      r -= split[g];
      if (r < 0) return g;
    }
    return split.findIndex((w, g) => g !== exclude && w > 0);
  };
  const lostOutcome: RequestOutcome = {
    status: 503,
    servedBy: -1,
    calls: 0,
    spillover: false,
    waited: 0,
    retryAfter: 0,
  };
  /**
   * A call reaching the global front door at time t: the region it arrives at (by the split), where it is
   * served (another region once the front door has taken a failed one out, issue #22), and the outcome.
   * `first` counts it in the region and outage tallies; a client's retry (#21) is routed the same way.
   */
  const callGateway = (t: number, r: number, first: boolean): RequestOutcome => {
    const arrival = regions.length > 1 ? pickRegion(-1) : 0;
    let serving = arrival;
    const inOutage = outage !== undefined && t >= outage.from && t < outage.until;
    if (down(arrival, t)) {
      // The front door still sends here until it has seen the region fail; then to another region.
      serving = outage && t < outage.from + failoverSeconds ? -1 : pickRegion(arrival);
    }
    const o = serving < 0 ? lostOutcome : gateways[serving].handle(t, routes[r], tokens);
    if (first) perRegion[arrival].offered++;
    if (serving >= 0 && serving !== arrival) perRegion[serving].failedOverIn++;
    if (serving >= 0 && o.status === 200) perRegion[serving].served++;
    if (inOutage && first) {
      out.offered++;
      if (o.status === 200) out.served++;
      if (serving < 0) out.lost++;
      else if (serving !== arrival) out.failedOver++;
    }
    return o;
  };

  const bucketSeconds = Math.max(1, Math.ceil(duration / 120));
  const buckets = Math.ceil(duration / bucketSeconds);
  const series = {
    offered: new Float64Array(buckets),
    served: new Float64Array(buckets),
    c429: new Float64Array(buckets),
    c5xx: new Float64Array(buckets),
  };
  const perRoute = topology.routes.map((r) => ({
    offered: 0,
    served: 0,
    servedInRun: 0,
    c429: 0,
    c5xx: 0,
    byPriority: new Map<number, number>(r.members.map((m) => [m.priority, 0])),
  }));
  const retryHistogram: number[] = new Array<number>(64).fill(0);
  let requests = 0;
  let upstreamCalls = 0;
  const teams = teamLimiters(topology, options.teamShares ?? []);
  const pickTeam = createRng(seed, 7);
  let client403 = 0;

  const maxWaitSeconds = options.maxWaitSeconds ?? topology.maxWaitSeconds;
  const clientRetries = Math.max(0, Math.floor(options.clientRetries ?? 0));
  const fallbackRetryAfter = context.fallbackRetryAfterSeconds;
  const retries = new RetryQueue();
  let clientRequests = 0;
  let servedFirstTry = 0;
  let servedEventually = 0;
  let heldCalls = 0;
  let gatewayCalls = 0;
  const added: number[] = [];

  // A client's retry at time t of the request that first arrived at `origin`, with `left` retries to go.
  const retryCall = (t: number, r: number, origin: number, left: number) => {
    const o = callGateway(t, r, false);
    gatewayCalls++;
    if (o.waited > 0) heldCalls++;
    upstreamCalls += o.calls;
    if (o.status === 200) {
      servedEventually++;
      added.push(t + o.waited - origin);
    } else if (left > 0) {
      retries.push({ t: t + o.waited + sleepAfter(o), route: r, origin, left: left - 1 });
    }
  };
  // The SDK sleeps retry-after-ms (the gateway sends Retry-After x 1000) from when the answer came.
  const sleepAfter = (o: Readonly<RequestOutcome>) => (o.status === 429 ? o.retryAfter : fallbackRetryAfter);
  const drain = (until: number) => {
    while (retries.size > 0 && retries.peek() <= until) {
      const next = retries.pop();
      retryCall(next.t, next.route, next.origin, next.left);
    }
  };

  forEachOfferedRequest(topology, options, (t, r) => {
    drain(t);
    clientRequests++;
    const s = perRoute[r];
    const b = Math.min(buckets - 1, Math.floor(t / bucketSeconds));
    // issue #17: the caller's team and its limits come first (llm-token-limit runs before routing).
    const team = teams.length > 0 ? pickOf(teams, pickTeam.next()) : undefined;
    if (team) {
      team.offered++;
      const refused = team.admit(t, tokens);
      if (refused !== 0) {
        requests++;
        s.offered++;
        series.offered[b]++;
        retryHistogram[0]++;
        if (refused === 429) {
          team.limited++;
          s.c429++;
          series.c429[b]++;
        } else {
          team.overQuota++;
          client403++;
        }
        return;
      }
    }
    const o = callGateway(t, r, true);
    gatewayCalls++;
    if (o.waited > 0) heldCalls++;
    requests++;
    s.offered++;
    series.offered[b]++;
    upstreamCalls += o.calls;
    if (team && o.status === 200) team.served++;
    const extra = Math.min(retryHistogram.length - 1, Math.max(0, o.calls - 1));
    retryHistogram[extra]++;
    if (o.status === 200) {
      s.served++;
      series.served[b]++;
      const p = members[o.servedBy].priority;
      s.byPriority.set(p, (s.byPriority.get(p) ?? 0) + 1);
      servedFirstTry++;
      servedEventually++;
      added.push(o.waited);
      if (t + o.waited < duration) s.servedInRun++;
    } else {
      if (o.status === 429) {
        s.c429++;
        series.c429[b]++;
      } else {
        s.c5xx++;
        series.c5xx[b]++;
      }
      if (clientRetries > 0)
        retries.push({ t: t + o.waited + sleepAfter(o), route: r, origin: t, left: clientRetries - 1 });
    }
  });
  drain(Number.POSITIVE_INFINITY);

  const minutes = duration / 60;
  // Requests held at the end of the run are served after it (bounded wait): served throughput counts what
  // was served within the run, so it never reads above a quota.
  const servedMinutes = minutes;
  const servedInRun = gateways.reduce((n, g) => n + g.counters.reduce((k, c) => k + c.servedInRun, 0), 0);
  const sum = (f: (s: (typeof perRoute)[number]) => number) => perRoute.reduce((a, s) => a + f(s), 0);
  const offeredRequests = sum((s) => s.offered);
  const servedRequests = sum((s) => s.served);
  let retrySum = 0;
  let retryMax = 0;
  retryHistogram.forEach((n, i) => {
    retrySum += n * i;
    if (n > 0) retryMax = i;
  });

  return {
    gateway: topology.gateway.name,
    routingMode: topology.routingMode,
    gatewayUnits: units,
    retryCount: context.retryCount,
    seed,
    profile,
    durationSeconds: duration,
    tokensPerRequest: tokens,
    windowSeconds,
    offeredRequests,
    servedRequests,
    client429Requests: sum((s) => s.c429),
    client5xxRequests: sum((s) => s.c5xx),
    servedShare: offeredRequests > 0 ? servedRequests / offeredRequests : 1,
    offeredTokens: offeredRequests * tokens,
    servedTokens: servedRequests * tokens,
    offeredTpm: round((offeredRequests * tokens) / minutes),
    servedTpm: round((servedInRun * tokens) / servedMinutes),
    totalTpm: topology.totalTpm,
    upstreamCalls,
    retriesPerRequest: {
      p50: percentile(retryHistogram, requests, 0.5),
      p99: percentile(retryHistogram, requests, 0.99),
      max: retryMax,
      mean: requests > 0 ? round(retrySum / requests, 3) : 0,
    },
    routes: topology.routes.flatMap((r, i) => {
      if (r.spilloverOnly) return [];
      const s = perRoute[i];
      return [
        {
          deployment: r.name,
          usableTpm: r.usableTpm,
          offeredRequests: s.offered,
          servedRequests: s.served,
          client429Requests: s.c429,
          client5xxRequests: s.c5xx,
          offeredTpm: round((s.offered * tokens) / minutes),
          servedTpm: round((s.servedInRun * tokens) / servedMinutes),
          priorities: [...s.byPriority.entries()]
            .sort(([a], [b]) => a - b)
            .map(([priority, served]) => ({
              priority,
              servedRequests: served,
              share: s.served > 0 ? round(served / s.served, 4) : 0,
            })),
        },
      ];
    }),
    members: members.flatMap((m, i) => {
      // A spillover-only route is the overflow of its PTU member: reported there (issue #17).
      if (spilloverOnlyMember[i]) return [];
      // Summed over the gateway regions (issue #22): the accounts are shared.
      const c = gateways.reduce(
        (sum, g) => ({
          calls: sum.calls + g.counters[i].calls,
          served: sum.served + g.counters[i].served,
          throttled: sum.throttled + g.counters[i].throttled,
          spilloverServed: sum.spilloverServed + g.counters[i].spilloverServed,
          servedInRun: sum.servedInRun + g.counters[i].servedInRun,
        }),
        { calls: 0, served: 0, throttled: 0, spilloverServed: 0, servedInRun: 0 },
      );
      const spilloverServed = spillsTo[i] === undefined ? 0 : c.spilloverServed;
      // Served within the run (bounded wait, #21) less what native spillover served (#17).
      const servedTpm = round(((c.servedInRun - Math.min(c.servedInRun, spilloverServed)) * tokens) / servedMinutes);
      const quota = m.deployment.capacityTpm;
      const target = m.spillover?.deployment;
      const spilloverTpm = round((spilloverServed * tokens) / minutes);
      return [
        {
          backend: m.backendId,
          route: routeOf[i],
          account: m.accountKey,
          sku: m.deployment.sku,
          priority: m.priority,
          weight: m.weight,
          quotaTpm: quota,
          quotaRpm: m.deployment.rpm,
          requests: c.calls,
          servedRequests: c.served,
          throttledResponses: c.throttled,
          spilloverRequests: spilloverServed,
          servedTpm,
          load: quota ? round(servedTpm / quota, 4) : null,
          spillover:
            m.spillover && target
              ? {
                  backend: m.spillover.backendId,
                  quotaTpm: target.capacityTpm,
                  servedTpm: spilloverTpm,
                  load: target.capacityTpm ? round(spilloverTpm / target.capacityTpm, 4) : null,
                }
              : null,
        },
      ];
    }),
    timeSeries: {
      bucketSeconds,
      points: Array.from({ length: buckets }, (_, b) => {
        const span = Math.min(bucketSeconds, duration - b * bucketSeconds) / 60;
        return {
          t: b * bucketSeconds,
          offeredTpm: round((series.offered[b] * tokens) / span),
          servedTpm: round((series.served[b] * tokens) / span),
          client429Rpm: round(series.c429[b] / span, 1),
          client5xxRpm: round(series.c5xx[b] / span, 1),
        };
      }),
    },
    teams: teams.map((team) => ({
      name: team.name,
      share: team.share,
      tokensPerMinute: team.tokensPerMinute,
      tokenQuota: team.tokenQuota,
      tokenQuotaPeriod: team.tokenQuotaPeriod,
      offeredRequests: team.offered,
      servedRequests: team.served,
      limitedRequests: team.limited,
      overQuotaRequests: team.overQuota,
      servedShare: team.offered > 0 ? round(team.served / team.offered, 4) : 1,
    })),
    client403Requests: client403,
    clients: {
      maxWaitSeconds,
      clientRetries,
      requests: clientRequests,
      servedFirstTry,
      servedEventually,
      servedFirstTryShare: clientRequests > 0 ? round(servedFirstTry / clientRequests, 5) : 1,
      servedEventuallyShare: clientRequests > 0 ? round(servedEventually / clientRequests, 5) : 1,
      heldCalls,
      heldShare: gatewayCalls > 0 ? round(heldCalls / gatewayCalls, 5) : 0,
      addedLatencySeconds: latencyPercentiles(added),
    },
    ...(regions.length > 1
      ? {
          regions: regions.map((region, g) => ({
            location: region.location,
            offeredRequests: perRegion[g].offered,
            servedRequests: perRegion[g].served,
            failedOverIn: perRegion[g].failedOverIn,
            servedShare: servedRequests > 0 ? round(perRegion[g].served / servedRequests, 4) : 0,
          })),
        }
      : {}),
    ...(outage
      ? {
          outage: {
            ...outage,
            failoverSeconds,
            offeredRequests: out.offered,
            servedRequests: out.served,
            servedShare: out.offered > 0 ? round(out.served / out.offered, 4) : 1,
            lostBeforeFailover: out.lost,
            failedOver: out.failedOver,
          },
        }
      : {}),
    warnings,
  };
}

interface TeamState {
  readonly name: string;
  readonly share: number;
  readonly tokensPerMinute: number | null;
  readonly tokenQuota: number | null;
  readonly tokenQuotaPeriod: string | null;
  offered: number;
  served: number;
  limited: number;
  overQuota: number;
  /** 0 admitted, else the status the client gets (429 over TPM, 403 over quota). */
  admit(t: number, tokens: number): 0 | 429 | 403;
}

/** Seconds in a token quota period: the simulation starts at the start of one. */
const PERIOD_SECONDS: Record<string, number> = {
  Hourly: 3600,
  Daily: 86400,
  Weekly: 604800,
  Monthly: 2629800,
  Yearly: 31557600,
};

/**
 * One limiter per named team plus the rest (issue #17). llm-token-limit as the policy configures it
 * (estimate-prompt-tokens false): a request is admitted while the counter is below the limit and its
 * tokens are counted after; tokens per minute over fixed 60-second windows, the quota over its period
 * from the start of the run. Teams without own limits get policies.tokenLimit when it is enabled.
 */
export function teamLimiters(topology: Topology, shares: readonly TeamShare[]): TeamState[] {
  if (shares.length === 0) return [];
  const global = topology.policies.tokenLimit;
  // The rule the policy renders (#18): teams without their own limit get policies.tokenLimit's rate when it is
  // on, or by default (security.limitEveryCaller) where the tier has the token-limit policy.
  const everyCaller = global.enabled || (topology.security.limitEveryCaller && topology.gateway.tier.tokenLimitPolicy);
  const make = (name: string, share: number, tpm: number | null, quota: number | null, period: string | null) => {
    let minute = -1;
    let used = 0;
    let quotaUsed = 0;
    let quotaPeriod = -1;
    const state: TeamState = {
      name,
      share,
      tokensPerMinute: tpm,
      tokenQuota: quota,
      tokenQuotaPeriod: period,
      offered: 0,
      served: 0,
      limited: 0,
      overQuota: 0,
      admit(t, tokens) {
        const p = Math.floor(t / (PERIOD_SECONDS[period ?? ""] ?? Number.POSITIVE_INFINITY));
        if (p !== quotaPeriod) {
          quotaPeriod = p;
          quotaUsed = 0;
        }
        if (quota !== null && quotaUsed >= quota) return 403;
        const m = Math.floor(t / 60);
        if (m !== minute) {
          minute = m;
          used = 0;
        }
        if (tpm !== null && used >= tpm) return 429;
        used += tokens;
        quotaUsed += tokens;
        return 0;
      },
    };
    return state;
  };
  const out = shares.map(({ name, share }) => {
    const c = topology.consumers.find((x) => x.name === name);
    if (!c) throw new RangeError(`no consumer named ${name}`);
    const own = c.tokensPerMinute !== undefined || c.tokenQuota !== undefined;
    return own
      ? make(name, share, c.tokensPerMinute ?? null, c.tokenQuota ?? null, c.tokenQuotaPeriod ?? null)
      : make(name, share, everyCaller ? global.tokensPerMinute : null, null, null);
  });
  const rest = 1 - shares.reduce((a, b) => a + b.share, 0);
  if (rest > 1e-9) out.push(make(OTHER_CALLERS, rest, null, null, null));
  return out;
}

function pickOf(teams: readonly TeamState[], u: number): TeamState {
  let acc = 0;
  for (const t of teams) {
    acc += t.share;
    if (u < acc) return t;
  }
  return teams[teams.length - 1];
}

/** Arrival weights per gateway region, in the topology's order: the split given, else equal. */
export function regionWeights(topology: Topology, split?: Readonly<Record<string, number>>): number[] {
  const regions = topology.gateway.regions.map((r) => r.location);
  if (!split) return regions.map(() => 1);
  for (const [region, w] of Object.entries(split)) {
    if (!regions.includes(region)) {
      throw new RangeError(`region split ${region}: not a gateway region (${regions.join(", ")})`);
    }
    if (!(w >= 0)) throw new RangeError(`region split ${region}: ${w} is not a share (0 or more)`);
  }
  const weights = regions.map((r) => split[r] ?? 0);
  if (weights.every((w) => w === 0)) throw new RangeError("region split: every share is 0");
  return weights;
}
