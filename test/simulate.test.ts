/**
 * The simulator's guarantees (issue #13), on topologies built from config
 * exactly as `plan` and `up` build them.
 */
import { describe, expect, it } from "vitest";
import { stackFile, stackNames } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { loadTopology } from "../infra/cli/common";
import { buildTopology, type Topology } from "../infra/model/topology";
import { PROFILES } from "../infra/sim/load";
import { simulate } from "../infra/sim/simulate";
import { backend, deployment, validRawConfig, type RawConfigFixture } from "./helpers/config-fixtures";
import { PINNED_PROD } from "./helpers/program";

const MODES = ["pool", "policy"] as const;

function topologyOf(raw: RawConfigFixture): Topology {
  return buildTopology(validateConfig(raw));
}

/** Route gpt-4o over hub/swedencentral (priority 1) and spoke/eastus2 (priority 2), 100K TPM each. */
function primaryAndSpillover(mode: "pool" | "policy"): Topology {
  const raw = validRawConfig();
  raw.routing = { mode };
  raw.backends = [
    backend({ subscription: "hub", location: "swedencentral", deployments: [deployment({ priority: 1 })] }),
    backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ priority: 2 })] }),
  ];
  return topologyOf(raw);
}

/** Route gpt-4o over three priority-1 members with explicit weights 20, 30, 50 and ample quota (450K TPM each). */
function weighted(mode: "pool" | "policy"): Topology {
  const raw = validRawConfig();
  raw.routing = { mode };
  raw.backends = [
    backend({
      subscription: "hub",
      location: "swedencentral",
      deployments: [deployment({ capacity: 450, weight: 20 })],
    }),
    backend({ subscription: "hub", location: "eastus2", deployments: [deployment({ capacity: 450, weight: 30 })] }),
    backend({
      subscription: "spoke",
      location: "swedencentral",
      deployments: [deployment({ capacity: 450, weight: 50 })],
    }),
  ];
  return topologyOf(raw);
}

// "prod" reads its single-region copy (test/fixtures/examples, #17): #22 made stacks/ prod two-region.
const stack = (name: string, mode: "pool" | "policy") =>
  loadTopology(name === "prod" ? PINNED_PROD : stackFile(name), (raw) => {
    raw.routing = { mode };
  });

describe("simulate: sanity guarantees", () => {
  for (const mode of MODES) {
    for (const name of stackNames()) {
      it(`${name} stack, ${mode} mode: at half of every member's quota, with every member in priority 1, no client sees a 429`, () => {
        // Flatten priorities so that each member's share of the load is under its quota.
        const topology = loadTopology(stackFile(name), (raw) => {
          raw.routing = { mode };
          for (const b of raw.backends as { deployments: Record<string, unknown>[] }[]) {
            for (const d of b.deployments) {
              d.priority = 1;
              delete d.weight;
            }
          }
        });
        const r = simulate(topology, { load: { load: 0.5 }, durationSeconds: 600 });
        expect([r.offeredRequests > 0, r.client429Requests, r.client5xxRequests]).toEqual([true, 0, 0]);
      });
    }

    it(`${mode} mode: a priority-2 member gets no call before the priority-1 member has answered 429`, () => {
      const calls: { t: number; backend: string; status: number }[] = [];
      simulate(primaryAndSpillover(mode), {
        load: { load: 0.9 },
        durationSeconds: 600,
        onCall: (t, backend, status) => calls.push({ t, backend, status }),
      });
      const firstSpill = calls.findIndex((c) => c.backend === "aoai-spoke-eastus2-gpt-4o");
      const firstThrottle = calls.findIndex((c) => c.backend === "aoai-hub-swedencentral-gpt-4o" && c.status === 429);
      expect([firstSpill > 0, firstThrottle >= 0, firstThrottle < firstSpill]).toEqual([true, true, true]);
    });

    it(`${mode} mode: a priority-2 member receives nothing while priority 1 is under its quota`, () => {
      const r = simulate(primaryAndSpillover(mode), { load: { load: 0.25 }, durationSeconds: 600 });
      expect(r.members.map((m) => [m.backend, m.requests > 0, m.throttledResponses])).toEqual([
        ["aoai-hub-swedencentral-gpt-4o", true, 0],
        ["aoai-spoke-eastus2-gpt-4o", false, 0],
      ]);
    });

    it(`${mode} mode: weights 20/30/50 split traffic within 2 points (20,000 requests)`, () => {
      const r = simulate(weighted(mode), { load: { rpm: 2000 }, tokensPerRequest: 100, durationSeconds: 600 });
      const total = r.members.reduce((s, m) => s + m.requests, 0);
      const off = r.members.map((m) => [m.weight, Math.abs(m.requests / total - m.weight / 100) < 0.02]);
      expect([total > 19000, off]).toEqual([
        true,
        [
          [30, true],
          [20, true],
          [50, true],
        ],
      ]);
    });
  }

  for (const name of stackNames()) {
    it(`${name} stack: served throughput never exceeds the members' quotas, at any load, profile and mode`, () => {
      const over: string[] = [];
      for (const mode of MODES) {
        const topology = stack(name, mode);
        for (const profile of PROFILES) {
          for (const load of [0.5, 1, 2, 5]) {
            const r = simulate(topology, { load: { load }, profile, durationSeconds: 600 });
            if (r.servedTpm > r.totalTpm) over.push(`${mode} ${profile} ${load}: ${r.servedTpm} > ${r.totalTpm}`);
            for (const m of r.members) {
              if (m.quotaTpm !== null && m.servedTpm > m.quotaTpm) {
                over.push(`${mode} ${profile} ${load} ${m.backend}: ${m.servedTpm} > ${m.quotaTpm}`);
              }
            }
          }
        }
      }
      expect(over).toEqual([]);
    });
  }
});

describe("simulate: results", () => {
  it("is deterministic for a seed", () => {
    const a = simulate(stack("prod", "pool"), { load: { load: 1.1 }, durationSeconds: 300, seed: 7 });
    const b = simulate(stack("prod", "pool"), { load: { load: 1.1 }, durationSeconds: 300, seed: 7 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("gives another arrival sequence for another seed", () => {
    const a = simulate(stack("prod", "pool"), { load: { load: 1.1 }, durationSeconds: 300, seed: 7 });
    const b = simulate(stack("prod", "pool"), { load: { load: 1.1 }, durationSeconds: 300, seed: 8 });
    expect(a.offeredRequests).not.toBe(b.offeredRequests);
  });

  it("counts every offered request once: served + client 429 + client 5xx", () => {
    const r = simulate(stack("prod", "policy"), { load: { load: 1.5 }, durationSeconds: 300 });
    expect(r.servedRequests + r.client429Requests + r.client5xxRequests).toBe(r.offeredRequests);
  });

  it("splits a load share over routes by their usable TPM (Poisson arrivals, within 5%)", () => {
    const r = simulate(stack("dev", "pool"), { load: { load: 0.5 }, durationSeconds: 600, tokensPerRequest: 1000 });
    // dev: gpt-4o 200K and gpt-4o-mini 400K usable TPM; half of each at 1,000 tokens a request is 100 and 200 RPM.
    const expected: Record<string, number> = { "gpt-4o": 1000, "gpt-4o-mini": 2000 };
    expect(
      r.routes.map((route) => [
        route.deployment,
        Math.abs(route.offeredRequests / expected[route.deployment] - 1) < 0.05,
      ]),
    ).toEqual([
      ["gpt-4o", true],
      ["gpt-4o-mini", true],
    ]);
  });

  it("reports the plan's total usable TPM and the gateway's units and retry count", () => {
    const r = simulate(stack("prod", "pool"), { load: { load: 0.1 }, durationSeconds: 60 });
    expect([r.totalTpm, r.gatewayUnits, r.retryCount]).toEqual([8325000, 2, 3]);
  });

  it("serves a provisioned member's overflow from its native spillover target without a 429 round trip", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o", sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 100 },
    ];
    raw.backends = [
      backend({
        deployments: [
          deployment({ name: "gpt-4o", sku: "GlobalProvisionedManaged", capacity: 50, tpmPerPtu: 2000 }),
          deployment({ name: "gpt-4o-spill", capacity: 100 }),
        ],
      }),
    ];
    const topology = topologyOf(raw);
    const r = simulate(topology, {
      load: { rpm: 0 },
      routeRpm: { "gpt-4o": 100, "gpt-4o-spill": 0 },
      durationSeconds: 600,
      spillover: (_account, d) => (d.name === "gpt-4o" ? "gpt-4o-spill" : undefined),
    });
    const ptu = r.members.find((m) => m.backend === "aoai-hub-swedencentral-gpt-4o");
    // 100 RPM x 1,000 tokens against 100K TPM of PTU: windows over the PTU spill, none of it as a 429.
    expect([r.client429Requests, ptu?.throttledResponses, (ptu?.spilloverRequests ?? 0) > 0]).toEqual([0, 0, true]);
  });
});
