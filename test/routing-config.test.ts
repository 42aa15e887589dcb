/**
 * Issue #9's config rules: native PTU spillover, the tier's backend limit now
 * that every (account, deployment) is one APIM backend, and the policy-size
 * premise behind refusing Consumption.
 */
import { describe, expect, it } from "vitest";
import { ROUTING_POLICY_MIN_BYTES, validateConfig } from "../infra/config/validate";
import { createPlan, formatPlan } from "../infra/model/plan";
import { buildTopology } from "../infra/model/topology";
import { renderPolicies } from "../infra/policies/render";
import { backend, configProblems, deployment, subscriptionId, validRawConfig } from "./helpers/config-fixtures";
import { T, named, runStack, stackConfig } from "./helpers/program";

/** hub/swedencentral: a Global PTU gpt-4o that spills over to `gpt-4o-spill` (GlobalStandard, same model and version). */
function spilloverConfig(spill: Record<string, unknown> = {}, ptu: Record<string, unknown> = {}) {
  const raw = validRawConfig();
  raw.subscriptions[0].quotas = [
    { model: "gpt-4o", sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 },
  ];
  raw.backends = [
    backend({
      deployments: [
        deployment({
          sku: "GlobalProvisionedManaged",
          capacity: 15,
          tpmPerPtu: 2500,
          spilloverDeployment: "gpt-4o-spill",
          ...ptu,
        }),
        deployment({ name: "gpt-4o-spill", capacity: 50, ...spill }),
      ],
    }),
    backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ priority: 2 })] }),
  ];
  return raw;
}

describe("native spillover config", () => {
  it("accepts a Global PTU deployment spilling over to a GlobalStandard deployment of the same account, model and version", () => {
    expect(validateConfig(spilloverConfig()).backends[0].deployments[0].spilloverDeployment).toBe("gpt-4o-spill");
  });

  it("refuses a target that is not in the same backend entry, listing the candidates there", () => {
    const raw = spilloverConfig();
    raw.backends[0].deployments[0].spilloverDeployment = "gpt-4o-elsewhere";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].spilloverDeployment: got "gpt-4o-elsewhere"; allowed: a GlobalStandard deployment of gpt-4o in the same backend entry ("gpt-4o-spill")',
    ]);
  });

  it("refuses a target with another data processing scope (Global PTU to Data Zone Standard)", () => {
    expect(configProblems(spilloverConfig({ sku: "DataZoneStandard" }))).toEqual([
      'aoai-gateway:backends[0].deployments[0].spilloverDeployment: got "gpt-4o-spill" (DataZoneStandard, gpt-4o 2024-11-20); allowed: a GlobalStandard deployment of gpt-4o 2024-11-20 (the same data processing scope, model and version; none in this entry)',
    ]);
  });

  it("refuses a target with another model version", () => {
    expect(configProblems(spilloverConfig({ version: "2024-08-06" }))).toEqual([
      'aoai-gateway:backends[0].deployments[0].spilloverDeployment: got "gpt-4o-spill" (GlobalStandard, gpt-4o 2024-08-06); allowed: a GlobalStandard deployment of gpt-4o 2024-11-20 (the same data processing scope, model and version; "gpt-4o-spill")',
    ]);
  });

  it("refuses spillover from a regional provisioned or a standard deployment", () => {
    const raw = validRawConfig();
    raw.backends = [
      backend({
        deployments: [deployment({ spilloverDeployment: "gpt-4o-spill" }), deployment({ name: "gpt-4o-spill" })],
      }),
    ];
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].spilloverDeployment: got "gpt-4o-spill" on a GlobalStandard deployment; allowed: spillover only from GlobalProvisionedManaged or DataZoneProvisionedManaged deployments',
    ]);
  });

  it("shows the spillover in the plan, on the PTU member", () => {
    const plan = createPlan(buildTopology(validateConfig(spilloverConfig())));
    expect(plan.routes[0].members.map((m) => [m.backendId, m.spilloverDeployment])).toEqual([
      ["aoai-hub-swedencentral-gpt-4o", "gpt-4o-spill"],
      ["aoai-spoke-eastus2-gpt-4o", null],
    ]);
    expect(formatPlan(plan).split("\n")).toContain(
      "  + native spillover: a deployment of the member's own account takes the traffic above its PTUs (no 429 round trip), before the pool fails over; counted in the route's usable TPM",
    );
  });
});

describe("native spillover resources", () => {
  it("sets spilloverDeploymentName and creates the PTU deployment after its target", async () => {
    const raw = spilloverConfig();
    const config = {
      ...stackConfig("dev"),
      ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`aoai-gateway:${k}`, v])),
    };
    const result = await runStack(config);
    const ptu = named(result, T.deployment, "fleet-hub-swedencentral-gpt-4o");
    expect([(ptu.inputs.properties as Record<string, unknown>).spilloverDeploymentName, [...ptu.dependsOn]]).toEqual([
      "gpt-4o-spill",
      ["fleet-hub-swedencentral-gpt-4o-spill"],
    ]);
  });
});

describe("APIM backend limit", () => {
  /** `accounts` accounts, each in its own subscription, each with the same `perAccount` routes. */
  function manyBackends(accounts: number, perAccount: number, sku = "StandardV2") {
    const raw = validRawConfig();
    raw.gateway.sku = sku;
    raw.subscriptions = Array.from({ length: accounts }, (_, i) => ({
      alias: `s${i}`,
      id: subscriptionId(i + 1),
      offer: "Enterprise",
    }));
    raw.gateway.subscription = "s0";
    raw.backends = Array.from({ length: accounts }, (_, i) =>
      backend({
        subscription: `s${i}`,
        deployments: Array.from({ length: perAccount }, (_, j) => deployment({ name: `route-${j}`, capacity: 1 })),
      }),
    );
    return raw;
  }

  it("counts one backend per deployment plus one pool per route against the v2 limit of 100", () => {
    expect(validateConfig(manyBackends(24, 4)).backends.length).toBe(24);
    expect(configProblems(manyBackends(25, 4))).toEqual([
      "aoai-gateway:backends: got 104 APIM backends (100 deployments + 4 pools); allowed: at most 100 backends per service in sku StandardV2 (Microsoft's service limits)",
    ]);
  });

  it("publishes no backend limit for classic tiers", () => {
    expect(validateConfig(manyBackends(25, 4, "Standard")).backends.length).toBe(25);
  });
});

describe("policy size premise of refusing Consumption", () => {
  it("renders even the smallest stack (one route, one member) above ROUTING_POLICY_MIN_BYTES, which is above 16 KiB", () => {
    const raw = validRawConfig();
    const [api] = renderPolicies(buildTopology(validateConfig(raw)));
    const bytes = Buffer.byteLength(api.xml, "utf8");
    expect([bytes >= ROUTING_POLICY_MIN_BYTES, ROUTING_POLICY_MIN_BYTES > 16 * 1024]).toEqual([true, true]);
  });
});
