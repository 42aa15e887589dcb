/**
 * The simulated gateway against scripted upstreams: breaker, retry and
 * throttle-memory rules one at a time (infra/sim/gateway.ts).
 */
import { describe, expect, it } from "vitest";
import type { CircuitBreakerConfig } from "../infra/config/schema";
import { validateConfig } from "../infra/config/validate";
import { buildTopology, type RouteMember } from "../infra/model/topology";
import { Gateway, type GatewayOptions } from "../infra/sim/gateway";
import { createRng } from "../infra/sim/rng";
import { type Upstream, type UpstreamAnswer, WindowLimiter } from "../infra/sim/upstream";
import { backend, deployment, validRawConfig } from "./helpers/config-fixtures";

const BREAKER: CircuitBreakerConfig = {
  failureCount: 1,
  interval: "PT1M",
  tripDuration: "PT1M",
  acceptRetryAfter: true,
  tripOnServerErrors: true,
};

/** Members of route gpt-4o: hub/swedencentral priority 1, then spoke/eastus2 priority 2 (`n` members in all, the rest priority 2). */
function members(n = 2): RouteMember[] {
  const raw = validRawConfig();
  const places = [
    ["hub", "swedencentral"],
    ["spoke", "eastus2"],
    ["spoke", "westus3"],
    ["hub", "eastus2"],
    ["hub", "westus3"],
  ];
  raw.backends = places
    .slice(0, n)
    .map(([subscription, location], i) =>
      backend({ subscription, location, deployments: [deployment({ priority: i === 0 ? 1 : 2 })] }),
    );
  return [...buildTopology(validateConfig(raw)).routes[0].members];
}

/** Upstream that answers from a script: 429 with `retryAfter` while `throttled(t)`. */
class Scripted implements Upstream {
  readonly calls: number[] = [];
  constructor(
    private readonly throttled: (t: number) => boolean,
    private readonly retryAfter = 5,
  ) {}
  call(t: number): UpstreamAnswer {
    this.calls.push(t);
    return this.throttled(t) ? { status: 429, retryAfter: this.retryAfter } : { status: 200, spillover: false };
  }
}

function gateway(
  mode: "pool" | "policy",
  upstreams: Upstream[],
  overrides: Partial<GatewayOptions> = {},
  ms: RouteMember[] = members(upstreams.length),
): Gateway {
  return new Gateway(
    { mode, units: 1, retryCount: ms.length - 1, circuitBreaker: BREAKER, ...overrides },
    ms,
    upstreams,
    [createRng(1, 100), createRng(1, 101)],
  );
}

const route = (n = 2) => ({ members: Array.from({ length: n }, (_, i) => i) });

describe("simulated Azure OpenAI limiter", () => {
  it("admits limit x window / 60 tokens per window and answers Retry-After to the window's end", () => {
    const l = new WindowLimiter(60000, null, 10); // 10,000 tokens per 10-second window
    expect([l.admit(1, 6000), l.admit(2, 4000), l.admit(3.5, 1), l.admit(10, 10000)]).toEqual([0, 0, 7, 0]);
  });

  it("counts requests against RPM x window / 60 per window", () => {
    const l = new WindowLimiter(null, 12, 10); // 2 requests per window
    expect([l.admit(0, 1), l.admit(0, 1), l.admit(9.2, 1)]).toEqual([0, 0, 1]);
  });
});

describe("simulated gateway, pool mode", () => {
  it("a 429 trips the member's breaker for its Retry-After when acceptRetryAfter is on", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("pool", [primary, new Scripted(() => false)]);
    for (const t of [0, 1, 2, 4.9, 5, 6]) g.handle(t, route(), 1000);
    expect(primary.calls).toEqual([0, 5, 6]);
  });

  it("a 429 trips the breaker for tripDuration when acceptRetryAfter is off", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("pool", [primary, new Scripted(() => false)], {
      circuitBreaker: { ...BREAKER, acceptRetryAfter: false, tripDuration: "PT30S" },
    });
    for (const t of [0, 5, 29, 30]) g.handle(t, route(), 1000);
    expect(primary.calls).toEqual([0, 30]);
  });

  it("with failureCount 3 the pool's retry returns to the same member until its breaker trips", () => {
    const primary = new Scripted((t) => t < 3, 5);
    const g = gateway("pool", [primary, new Scripted(() => false)], {
      circuitBreaker: { ...BREAKER, failureCount: 3 },
    });
    const first = g.handle(0, route(), 1000).status;
    for (const t of [1, 2, 3]) g.handle(t, route(), 1000);
    // t=0: two tries, both on the closed priority-1 member (the client gets 429); t=1: the third 429 trips it.
    expect([first, primary.calls]).toEqual([429, [0, 0, 1]]);
  });

  it("each gateway unit keeps its own breakers: the other unit still calls the tripped member", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("pool", [primary, new Scripted(() => false)], { units: 2 });
    for (const t of [0, 1, 2, 3]) g.handle(t, route(), 1000);
    // Unit 0 handles t=0 and t=2 (tripped until 5), unit 1 handles t=1 and t=3.
    expect(primary.calls).toEqual([0, 1, 3]);
  });

  it("a request gets at most 1 + retry count tries", () => {
    const all = Array.from({ length: 5 }, () => new Scripted(() => true));
    const g = gateway("pool", all, { retryCount: 2 });
    const o = g.handle(0, route(5), 1000);
    expect([o.status, o.calls]).toEqual([429, 3]);
  });

  it("answers 429 without a call while every member's breaker is open", () => {
    const g = gateway("pool", [new Scripted((t) => t === 0), new Scripted((t) => t === 0)]);
    g.handle(0, route(), 1000);
    const o = g.handle(1, route(), 1000);
    expect([o.status, o.calls]).toEqual([429, 0]);
  });
});

describe("simulated gateway, policy mode", () => {
  it("skips a member remembered as throttled without a call, until its Retry-After has passed", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("policy", [primary, new Scripted(() => false)]);
    for (const t of [0, 1, 4.9, 5]) g.handle(t, route(), 1000);
    expect(primary.calls).toEqual([0, 5]);
  });

  it("the throttle memory is the built-in cache every unit shares", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("policy", [primary, new Scripted(() => false)], { units: 2 });
    for (const t of [0, 1, 2, 3]) g.handle(t, route(), 1000);
    expect(primary.calls).toEqual([0]);
  });

  it("with cache per unit, the other unit still calls the throttled member", () => {
    const primary = new Scripted((t) => t === 0, 5);
    const g = gateway("policy", [primary, new Scripted(() => false)], { units: 2, cache: "unit" });
    for (const t of [0, 1, 2, 3]) g.handle(t, route(), 1000);
    // Unit 0 remembers t=0's 429 (skips at t=2); unit 1 never saw it and calls at t=1 and t=3.
    expect(primary.calls).toEqual([0, 1, 3]);
  });

  it("fails over within the request and serves from the next member", () => {
    const g = gateway("policy", [new Scripted(() => true), new Scripted(() => false)]);
    const o = g.handle(0, route(), 1000);
    expect([o.status, o.servedBy, o.calls]).toEqual([200, 1, 2]);
  });

  it("answers 429 when every member is throttled", () => {
    const g = gateway("policy", [new Scripted(() => true), new Scripted(() => true)]);
    const o = g.handle(0, route(), 1000);
    expect([o.status, o.calls]).toEqual([429, 2]);
  });
});
