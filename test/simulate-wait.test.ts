/**
 * Issue #21 in the simulator: the bounded wait (infra/sim/gateway.ts), client retries as the OpenAI SDKs make
 * them (infra/sim/simulate.ts) and the limiter's previous window (infra/sim/upstream.ts). Stack-level numbers
 * use the test-owned fixture test/fixtures/smoke/Pulumi.smoke.yaml (the dev stack's shape).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import type { CircuitBreakerConfig } from "../infra/config/schema";
import { validateConfig } from "../infra/config/validate";
import { buildTopology, type RouteMember } from "../infra/model/topology";
import { Gateway } from "../infra/sim/gateway";
import { createRng } from "../infra/sim/rng";
import { simulate } from "../infra/sim/simulate";
import { type Upstream, type UpstreamAnswer, WindowLimiter } from "../infra/sim/upstream";
import { backend, deployment, validRawConfig } from "./helpers/config-fixtures";

const FIXTURE = join(__dirname, "fixtures", "smoke", "Pulumi.smoke.yaml");
const BREAKER: CircuitBreakerConfig = {
  failureCount: 1,
  interval: "PT1M",
  tripDuration: "PT1M",
  acceptRetryAfter: true,
  tripOnServerErrors: true,
};

function twoMembers(): RouteMember[] {
  const raw = validRawConfig();
  raw.backends = [
    backend({ subscription: "hub", location: "swedencentral", deployments: [deployment({ priority: 1 })] }),
    backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ priority: 1 })] }),
  ];
  return [...buildTopology(validateConfig(raw)).routes[0].members];
}

/** Throttled (429 with `retryAfter`) before `backAt`, then serving. */
class BackAt implements Upstream {
  readonly calls: number[] = [];
  constructor(
    private readonly backAt: number,
    private readonly retryAfter: number,
  ) {}
  call(t: number): UpstreamAnswer {
    this.calls.push(t);
    return t < this.backAt ? { status: 429, retryAfter: this.retryAfter } : { status: 200, spillover: false };
  }
}

function gateway(mode: "pool" | "policy", upstreams: Upstream[], maxWaitSeconds: number): Gateway {
  return new Gateway(
    { mode, units: 1, retryCount: 1, circuitBreaker: BREAKER, maxWaitSeconds },
    twoMembers(),
    upstreams,
    [createRng(1, 100)],
  );
}

const route = { members: [0, 1] };

describe("bounded wait in the simulated gateway", () => {
  for (const mode of ["pool", "policy"] as const) {
    it(`${mode} mode: holds a request until the soonest member is back (8 s) and serves it there`, () => {
      const soon = new BackAt(8, 8);
      const late = new BackAt(40, 40);
      const o = gateway(mode, [soon, late], 10).handle(0, route, 1000);
      expect([o.status, o.waited, o.servedBy, soon.calls]).toEqual([200, 8, 0, [0, 8]]);
    });

    it(`${mode} mode: answers 429 at once with the soonest Retry-After when it is beyond the maximum`, () => {
      const o = gateway(mode, [new BackAt(20, 20), new BackAt(40, 40)], 10).handle(0, route, 1000);
      expect([o.status, o.waited, o.retryAfter]).toEqual([429, 0, 20]);
    });

    it(`${mode} mode: never waits with maxWaitSeconds 0`, () => {
      const o = gateway(mode, [new BackAt(8, 8), new BackAt(40, 40)], 0).handle(0, route, 1000);
      expect([o.status, o.waited, o.retryAfter]).toEqual([429, 0, 8]);
    });
  }
});

describe("bounded wait at the stack level (fixture, Poisson at 90% of usable TPM, 10 minutes)", () => {
  const topology = loadTopology(FIXTURE);
  const at90 = (maxWaitSeconds?: number) =>
    simulate(topology, { load: { load: 0.9 }, durationSeconds: 600, seed: 1, maxWaitSeconds });

  it("serves at least 99.9% with the default 10 s and under 99% without the wait", () => {
    expect([at90().servedShare >= 0.999, at90(0).servedShare < 0.99]).toEqual([true, true]);
  });

  it("holds no request longer than the maximum", () => {
    const r = simulate(topology, { load: { load: 1.2 }, durationSeconds: 600, seed: 1, maxWaitSeconds: 5 });
    expect([r.clients.maxWaitSeconds, r.clients.addedLatencySeconds.max <= 5, r.clients.heldShare > 0]).toEqual([
      5,
      true,
      true,
    ]);
  });

  it("counts each client request once however often it is retried, and serves more eventually than first", () => {
    const r = simulate(topology, { load: { load: 1.2 }, durationSeconds: 600, seed: 1, clientRetries: 2 });
    expect(r.clients.requests).toBe(r.offeredRequests);
    expect(r.clients.servedFirstTry).toBe(r.servedRequests);
    expect(r.clients.servedEventually).toBeGreaterThan(r.clients.servedFirstTry);
  });

  it("adds the clients' sleeps to the latency of requests served on a retry", () => {
    const without = simulate(topology, { load: { load: 1.2 }, durationSeconds: 600, seed: 1, maxWaitSeconds: 0 });
    const retried = simulate(topology, {
      load: { load: 1.2 },
      durationSeconds: 600,
      seed: 1,
      maxWaitSeconds: 0,
      clientRetries: 2,
    });
    expect([without.clients.addedLatencySeconds.max, retried.clients.addedLatencySeconds.max > 0]).toEqual([0, true]);
  });
});

describe("limiter windows after a held pass", () => {
  it("counts a call into the window before the latest one against that window's own count", () => {
    const l = new WindowLimiter(null, 12, 10); // 2 requests per window
    // window 0 full, a held pass in window 1, then a late arrival still in window 0: refused, not counted afresh
    expect([l.admit(1, 1), l.admit(2, 1), l.admit(10.5, 1), l.admit(3, 1), l.admit(11, 1), l.admit(12, 1)]).toEqual([
      0, 0, 0, 7, 0, 8,
    ]);
  });

  it("refuses a call two or more windows back", () => {
    const l = new WindowLimiter(null, 12, 10);
    expect([l.admit(25, 1), l.admit(3, 1)]).toEqual([0, 7]);
  });
});
