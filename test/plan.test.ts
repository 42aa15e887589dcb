import { describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig, stackFile } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { createPlan, formatPlan, type Plan } from "../infra/model/plan";
import { buildTopology } from "../infra/model/topology";
import { backend, deployment, validRawConfig, type RawConfigFixture } from "./helpers/config-fixtures";

function stackPlan(stack: string): Plan {
  return createPlan(buildTopology(validateConfig(namespaceConfig(readStackConfig(stackFile(stack))))));
}

function fixturePlan(raw: RawConfigFixture): Plan {
  return createPlan(buildTopology(validateConfig(raw)));
}

const DEV_HUB = "00000000-0000-0000-0000-00000000d001";
const DEV_SPOKE = "00000000-0000-0000-0000-00000000d002";
const PROD_HUB = "00000000-0000-0000-0000-0000000a0001";
const PROD_EAST = "00000000-0000-0000-0000-0000000a0002";
const PROD_WEST = "00000000-0000-0000-0000-0000000a0003";
const PROD_EU = "00000000-0000-0000-0000-0000000a0004";

describe("plan of stacks/Pulumi.dev.yaml", () => {
  const plan = stackPlan("dev");

  it("unlocks 600,000 TPM in total", () => {
    expect(plan.totalTpm).toBe(600000);
  });

  it("describes the BasicV2 gateway with its monthly base price", () => {
    expect(plan.gateway).toEqual({
      name: "contoso-ai-dev",
      subscription: "dev-hub",
      location: "swedencentral",
      sku: "BasicV2",
      capacity: 1,
      routingMode: "pool",
      monthlyUsd: 150.01,
      pricingNote: "includes 10 M requests, then 3.00 per million",
    });
  });

  it("has one route per deployment name, each over both subscriptions with equal weights", () => {
    const member = (
      deployment: string,
      subscription: string,
      subscriptionId: string,
      location: string,
      capacity: number,
    ) => ({
      backendId: `aoai-${subscription}-${location}-${deployment}`,
      account: `${subscription}-${location}`,
      subscription,
      subscriptionId,
      location,
      sku: "GlobalStandard",
      capacity,
      capacityTpm: capacity * 1000,
      rpm: capacity * 6,
      priority: 1,
      weight: 50,
      share: 0.5,
    });
    expect(plan.routes).toEqual([
      {
        deployment: "gpt-4o",
        model: "gpt-4o",
        usableTpm: 200000,
        members: [
          member("gpt-4o", "dev-hub", DEV_HUB, "swedencentral", 100),
          member("gpt-4o", "dev-spoke", DEV_SPOKE, "eastus2", 100),
        ],
      },
      {
        deployment: "gpt-4o-mini",
        model: "gpt-4o-mini",
        usableTpm: 400000,
        members: [
          member("gpt-4o-mini", "dev-hub", DEV_HUB, "swedencentral", 200),
          member("gpt-4o-mini", "dev-spoke", DEV_SPOKE, "eastus2", 200),
        ],
      },
    ]);
  });

  it("has one quota pool per subscription, region, model and type, with default quotas", () => {
    expect(plan.quotaPools).toEqual([
      {
        subscription: "dev-hub",
        subscriptionId: DEV_HUB,
        location: "swedencentral",
        model: "gpt-4o",
        sku: "GlobalStandard",
        quotaTpm: 450000,
        allocatedTpm: 100000,
        quotaSource: "default",
        utilization: 100000 / 450000,
      },
      {
        subscription: "dev-hub",
        subscriptionId: DEV_HUB,
        location: "swedencentral",
        model: "gpt-4o-mini",
        sku: "GlobalStandard",
        quotaTpm: 2000000,
        allocatedTpm: 200000,
        quotaSource: "default",
        utilization: 0.1,
      },
      {
        subscription: "dev-spoke",
        subscriptionId: DEV_SPOKE,
        location: "eastus2",
        model: "gpt-4o",
        sku: "GlobalStandard",
        quotaTpm: 450000,
        allocatedTpm: 100000,
        quotaSource: "default",
        utilization: 100000 / 450000,
      },
      {
        subscription: "dev-spoke",
        subscriptionId: DEV_SPOKE,
        location: "eastus2",
        model: "gpt-4o-mini",
        sku: "GlobalStandard",
        quotaTpm: 2000000,
        allocatedTpm: 200000,
        quotaSource: "default",
        utilization: 0.1,
      },
    ]);
  });

  it("has no warnings", () => {
    expect(plan.warnings).toEqual([]);
  });

  it("survives a JSON round trip unchanged", () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe("plan of stacks/Pulumi.prod.yaml", () => {
  const plan = stackPlan("prod");

  it("unlocks 8,325,000 TPM in total", () => {
    expect(plan.totalTpm).toBe(8325000);
  });

  it("describes the StandardV2 gateway with 2 units at 1,200 USD a month", () => {
    expect([plan.gateway.sku, plan.gateway.capacity, plan.gateway.routingMode, plan.gateway.monthlyUsd]).toEqual([
      "StandardV2",
      2,
      "pool",
      1200,
    ]);
  });

  it("spans four subscriptions in four regions", () => {
    const members = plan.routes.flatMap((r) => r.members);
    expect({
      subscriptions: new Set(members.map((m) => m.subscriptionId)).size,
      regions: new Set(members.map((m) => m.location)).size,
    }).toEqual({ subscriptions: 4, regions: 4 });
  });

  it("routes gpt-4o to the provisioned deployment first and to Standard deployments as spillover", () => {
    const route = plan.routes.find((r) => r.deployment === "gpt-4o");
    expect({
      usableTpm: route?.usableTpm,
      members: route?.members.map((m) => ({
        subscriptionId: m.subscriptionId,
        location: m.location,
        sku: m.sku,
        capacityTpm: m.capacityTpm,
        rpm: m.rpm,
        priority: m.priority,
        weight: m.weight,
        share: m.share,
      })),
    }).toEqual({
      usableTpm: 1325000,
      members: [
        {
          subscriptionId: PROD_HUB,
          location: "swedencentral",
          sku: "GlobalProvisionedManaged",
          capacityTpm: 125000,
          rpm: null,
          priority: 1,
          weight: 100,
          share: 1,
        },
        {
          subscriptionId: PROD_EAST,
          location: "eastus2",
          sku: "GlobalStandard",
          capacityTpm: 450000,
          rpm: 2700,
          priority: 2,
          weight: 50,
          share: 0,
        },
        {
          subscriptionId: PROD_WEST,
          location: "westus3",
          sku: "GlobalStandard",
          capacityTpm: 450000,
          rpm: 2700,
          priority: 2,
          weight: 50,
          share: 0,
        },
        {
          subscriptionId: PROD_EU,
          location: "francecentral",
          sku: "DataZoneStandard",
          capacityTpm: 300000,
          rpm: 1800,
          priority: 3,
          weight: 100,
          share: 0,
        },
      ],
    });
  });

  it("spreads gpt-4.1-mini evenly over three Global Standard pools with Data Zone spillover", () => {
    const route = plan.routes.find((r) => r.deployment === "gpt-4.1-mini");
    expect({
      usableTpm: route?.usableTpm,
      members: route?.members.map((m) => [
        m.subscriptionId,
        m.location,
        m.sku,
        m.capacityTpm,
        m.priority,
        m.weight,
        m.share,
      ]),
    }).toEqual({
      usableTpm: 7000000,
      members: [
        [PROD_EAST, "eastus2", "GlobalStandard", 2000000, 1, 33, 1 / 3],
        [PROD_HUB, "swedencentral", "GlobalStandard", 2000000, 1, 33, 1 / 3],
        [PROD_WEST, "westus3", "GlobalStandard", 2000000, 1, 33, 1 / 3],
        [PROD_EU, "francecentral", "DataZoneStandard", 1000000, 2, 100, 0],
      ],
    });
  });

  it("counts the provisioned pool in PTU against its override, with null TPM fields", () => {
    expect(plan.quotaPools[0]).toEqual({
      subscription: "prod-hub",
      subscriptionId: PROD_HUB,
      location: "swedencentral",
      model: "gpt-4o",
      sku: "GlobalProvisionedManaged",
      quotaTpm: null,
      allocatedTpm: null,
      quotaPtu: 100,
      allocatedPtu: 50,
      quotaSource: "override",
      utilization: 0.5,
    });
  });

  it("lists every Standard-family pool with its quota and allocation", () => {
    expect(
      plan.quotaPools
        .slice(1)
        .map((p) => [p.subscriptionId, p.location, p.model, p.sku, p.quotaTpm, p.allocatedTpm, p.quotaSource]),
    ).toEqual([
      [PROD_HUB, "swedencentral", "gpt-4.1-mini", "GlobalStandard", 5000000, 2000000, "override"],
      [PROD_EAST, "eastus2", "gpt-4o", "GlobalStandard", 450000, 450000, "default"],
      [PROD_EAST, "eastus2", "gpt-4.1-mini", "GlobalStandard", 5000000, 2000000, "default"],
      [PROD_WEST, "westus3", "gpt-4o", "GlobalStandard", 450000, 450000, "default"],
      [PROD_WEST, "westus3", "gpt-4.1-mini", "GlobalStandard", 5000000, 2000000, "default"],
      [PROD_EU, "francecentral", "gpt-4o", "DataZoneStandard", 300000, 300000, "default"],
      [PROD_EU, "francecentral", "gpt-4.1-mini", "DataZoneStandard", 2000000, 1000000, "default"],
    ]);
  });

  it("has no warnings", () => {
    expect(plan.warnings).toEqual([]);
  });
});

describe("plan of an unknown quota", () => {
  it("reports the quota as null and utilization as null", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "MSDN";
    const [p] = fixturePlan(raw).quotaPools;
    expect([p.quotaTpm, p.allocatedTpm, p.quotaSource, p.utilization]).toEqual([null, 100000, "unknown", null]);
  });
});

describe("text plan", () => {
  const lines = formatPlan(stackPlan("dev")).split("\n");

  it("names the gateway tier, units, region and routing mode", () => {
    expect(lines[0]).toBe(
      "Gateway contoso-ai-dev: API Management BasicV2, 1 unit, in swedencentral (subscription dev-hub), routing mode pool",
    );
  });

  it("gives the gateway's monthly base price", () => {
    expect(lines[1]).toBe("  about $150.01 a month base price (includes 10 M requests, then 3.00 per million)");
  });

  it("heads each route with its usable TPM and member count", () => {
    expect(lines.filter((l) => l.startsWith("Route "))).toEqual([
      "Route gpt-4o (model gpt-4o): 200,000 TPM usable over 2 members",
      "Route gpt-4o-mini (model gpt-4o-mini): 400,000 TPM usable over 2 members",
    ]);
  });

  it("lists a route's members with priority, weight, share, subscription, region, type, capacity, TPM and RPM", () => {
    const at = lines.indexOf("Route gpt-4o (model gpt-4o): 200,000 TPM usable over 2 members");
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  backend                            priority  weight  share  subscription  region         type            capacity  TPM      RPM",
      "  aoai-dev-hub-swedencentral-gpt-4o  1         50      50%    dev-hub       swedencentral  GlobalStandard  100K      100,000  600",
      "  aoai-dev-spoke-eastus2-gpt-4o      1         50      50%    dev-spoke     eastus2        GlobalStandard  100K      100,000  600",
    ]);
  });

  it("lists each quota pool with allocation, quota, percentage used and source", () => {
    const at = lines.indexOf("Quota pools (subscription / region / model / type): allocated of quota");
    expect(lines.slice(at + 1, at + 6)).toEqual([
      "  pool                                              allocated    quota          use  source",
      "  dev-hub/swedencentral/gpt-4o/GlobalStandard       100,000 TPM  450,000 TPM    22%  default",
      "  dev-hub/swedencentral/gpt-4o-mini/GlobalStandard  200,000 TPM  2,000,000 TPM  10%  default",
      "  dev-spoke/eastus2/gpt-4o/GlobalStandard           100,000 TPM  450,000 TPM    22%  default",
      "  dev-spoke/eastus2/gpt-4o-mini/GlobalStandard      200,000 TPM  2,000,000 TPM  10%  default",
    ]);
  });

  it("ends with the total usable throughput", () => {
    expect(lines.slice(-2)).toEqual(["Total usable throughput: 600,000 TPM", ""]);
  });

  it("has no warnings section when there are no warnings", () => {
    expect(lines.some((l) => l.startsWith("Warnings"))).toBe(false);
  });
});

describe("text plan of a provisioned route with spillover and unknown quota", () => {
  const raw = validRawConfig();
  raw.gateway.sku = "Consumption";
  delete raw.gateway.capacity;
  raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 100 }];
  raw.subscriptions[1].offer = "MSDN";
  raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50 });
  raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2, capacity: 10 })] }));
  const lines = formatPlan(fixturePlan(raw)).split("\n");

  it("names a Consumption gateway without units", () => {
    expect(lines[0]).toBe(
      "Gateway contoso-ai: API Management Consumption in swedencentral (subscription hub), routing mode policy",
    );
  });

  it("shows PTU capacity, unknown TPM, no RPM and spillover members", () => {
    const at = lines.indexOf("Route gpt-4o (model gpt-4o): 10,000 TPM usable over 2 members");
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  backend                          priority  weight  share      subscription  region         type                capacity  TPM     RPM",
      "  aoai-hub-swedencentral-gpt-4o    1         100     100%       hub           swedencentral  ProvisionedManaged  50 PTU    ?       -",
      "  aoai-spoke-swedencentral-gpt-4o  2         100     spillover  spoke         swedencentral  GlobalStandard      10K       10,000  60",
    ]);
  });

  it("shows a PTU pool in PTU and an unknown quota as unknown", () => {
    const at = lines.indexOf("Quota pools (subscription / region / model / type): allocated of quota");
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  pool                                         allocated   quota    use  source",
      "  hub/swedencentral/gpt-4o/ProvisionedManaged  50 PTU      100 PTU  50%  override",
      "  spoke/swedencentral/gpt-4o/GlobalStandard    10,000 TPM  unknown  -    unknown",
    ]);
  });

  it("lists the warnings after the total", () => {
    const at = lines.indexOf("Total usable throughput: 10,000 TPM");
    expect(lines.slice(at + 1)).toEqual([
      "",
      "Warnings (3):",
      "  - aoai-gateway:backends[0].deployments[0]: provisioned deployment gpt-4o has no tpmPerPtu, so its throughput is not counted in TPM totals",
      "  - quota pool spoke/swedencentral/gpt-4o/GlobalStandard: quota unknown for offer MSDN; 10,000 TPM allocated is not checked (set aoai-gateway:subscriptions[1].quotas to check it)",
      "  - monitoring on sku Consumption: dropped are the diagnostic setting to Log Analytics (GatewayLogs, GatewayLlmLogs), LLM message logging, the client 429 and 5xx rate alerts and the workbook's 429, latency and LLM-log panels; kept are Application Insights, token metrics, the member 429 and quota utilisation alerts and the workbook's token panels",
      "",
    ]);
  });
});
