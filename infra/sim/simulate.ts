/**
 * `aoai-gateway simulate` (issue #13): what a stack serves at a given load
 * before it is deployed. Pure: imports nothing from Pulumi or Azure, never
 * sleeps (simulated clock), deterministic for a seed.
 */
import { regionalPriorities } from "../model/gateway-regions";
import type { RouteMember, Topology } from "../model/topology";
import { createPolicyContext } from "../policies/render";
import { Gateway, type GatewayRoute } from "./gateway";
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
  readonly servedTpm: number;
  /** servedTpm / quotaTpm, or null. */
  readonly load: number | null;
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
  /** Per gateway region (issue #22): present when the gateway runs in more than one region. */
  readonly regions?: readonly SimulatedRegion[];
  /** The region outage, when one was simulated. */
  readonly outage?: SimulatedOutage;
  readonly warnings: readonly string[];
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
    if (m.deployment.capacityTpm === null) {
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
  const regionRng = createRng(seed, 7);
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
  const lostOutcome = { status: 503 as const, servedBy: -1, calls: 0, spillover: false };

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
    c429: 0,
    c5xx: 0,
    byPriority: new Map<number, number>(r.members.map((m) => [m.priority, 0])),
  }));
  const retries: number[] = new Array<number>(64).fill(0);
  let requests = 0;
  let upstreamCalls = 0;

  forEachOfferedRequest(topology, options, (t, r) => {
    const arrival = regions.length > 1 ? pickRegion(-1) : 0;
    let serving = arrival;
    const inOutage = outage !== undefined && t >= outage.from && t < outage.until;
    if (down(arrival, t)) {
      // The front door still sends here until it has seen the region fail; then to another region.
      serving = outage && t < outage.from + failoverSeconds ? -1 : pickRegion(arrival);
    }
    const o = serving < 0 ? lostOutcome : gateways[serving].handle(t, routes[r], tokens);
    perRegion[arrival].offered++;
    if (serving >= 0 && serving !== arrival) perRegion[serving].failedOverIn++;
    if (serving >= 0 && o.status === 200) perRegion[serving].served++;
    if (inOutage) {
      out.offered++;
      if (o.status === 200) out.served++;
      if (serving < 0) out.lost++;
      else if (serving !== arrival) out.failedOver++;
    }
    const s = perRoute[r];
    const b = Math.min(buckets - 1, Math.floor(t / bucketSeconds));
    requests++;
    s.offered++;
    series.offered[b]++;
    upstreamCalls += o.calls;
    const extra = Math.min(retries.length - 1, Math.max(0, o.calls - 1));
    retries[extra]++;
    if (o.status === 200) {
      s.served++;
      series.served[b]++;
      const p = members[o.servedBy].priority;
      s.byPriority.set(p, (s.byPriority.get(p) ?? 0) + 1);
    } else if (o.status === 429) {
      s.c429++;
      series.c429[b]++;
    } else {
      s.c5xx++;
      series.c5xx[b]++;
    }
  });

  const minutes = duration / 60;
  const sum = (f: (s: (typeof perRoute)[number]) => number) => perRoute.reduce((a, s) => a + f(s), 0);
  const offeredRequests = sum((s) => s.offered);
  const servedRequests = sum((s) => s.served);
  let retrySum = 0;
  let retryMax = 0;
  retries.forEach((n, i) => {
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
    servedTpm: round((servedRequests * tokens) / minutes),
    totalTpm: topology.totalTpm,
    upstreamCalls,
    retriesPerRequest: {
      p50: percentile(retries, requests, 0.5),
      p99: percentile(retries, requests, 0.99),
      max: retryMax,
      mean: requests > 0 ? round(retrySum / requests, 3) : 0,
    },
    routes: topology.routes.map((r, i) => {
      const s = perRoute[i];
      return {
        deployment: r.name,
        usableTpm: r.usableTpm,
        offeredRequests: s.offered,
        servedRequests: s.served,
        client429Requests: s.c429,
        client5xxRequests: s.c5xx,
        offeredTpm: round((s.offered * tokens) / minutes),
        servedTpm: round((s.served * tokens) / minutes),
        priorities: [...s.byPriority.entries()]
          .sort(([a], [b]) => a - b)
          .map(([priority, served]) => ({
            priority,
            servedRequests: served,
            share: s.served > 0 ? round(served / s.served, 4) : 0,
          })),
      };
    }),
    members: members.map((m, i) => {
      const c = gateways.reduce(
        (sum, g) => ({
          calls: sum.calls + g.counters[i].calls,
          served: sum.served + g.counters[i].served,
          throttled: sum.throttled + g.counters[i].throttled,
          spilloverServed: sum.spilloverServed + g.counters[i].spilloverServed,
        }),
        { calls: 0, served: 0, throttled: 0, spilloverServed: 0 },
      );
      const servedTpm = round((c.served * tokens) / minutes);
      const quota = m.deployment.capacityTpm;
      return {
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
        spilloverRequests: spillsTo[i] === undefined ? 0 : c.spilloverServed,
        servedTpm,
        load: quota ? round(servedTpm / quota, 4) : null,
      };
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
