import { describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import { type ExampleName, exampleFile } from "./helpers/stacks";
import { validateConfig } from "../infra/config/validate";
import { clientSnippet, createPlan, formatPlan, type Plan } from "../infra/model/plan";
import { buildTopology } from "../infra/model/topology";
import { backend, deployment, validRawConfig, type RawConfigFixture } from "./helpers/config-fixtures";

/** A shipped example's plan, from its test-owned copy in test/fixtures/examples (#17). */
function stackPlan(stack: ExampleName): Plan {
  return createPlan(buildTopology(validateConfig(namespaceConfig(readStackConfig(exampleFile(stack))))));
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
/** The dev stack's APIM service name (names.apimServiceName), so its gateway URL. */
const DEV_SERVICE = "contoso-ai-dev-3fdee8b8";
const DEV_URL = `https://${DEV_SERVICE}.azure-api.net`;

describe("plan of the dev example (test/fixtures/examples/Pulumi.dev.yaml)", () => {
  const plan = stackPlan("dev");

  it("unlocks 600,000 TPM in total", () => {
    expect(plan.totalTpm).toBe(600000);
  });

  it("describes the BasicV2 gateway with its monthly base price", () => {
    expect(plan.gateway).toEqual({
      name: "contoso-ai-dev",
      serviceName: DEV_SERVICE,
      url: `https://${DEV_SERVICE}.azure-api.net`,
      v1BaseUrl: `https://${DEV_SERVICE}.azure-api.net/openai/v1/`,
      subscription: "dev-hub",
      location: "swedencentral",
      sku: "BasicV2",
      capacity: 1,
      routingMode: "pool",
      monthlyUsd: 150.01,
      pricingNote: "includes 10 M requests, then 3.00 per million",
      // issue #22: one region, its URL, no Front Door, the SLA Microsoft publishes
      globalUrl: `https://${DEV_SERVICE}.azure-api.net`,
      regions: [
        {
          location: "swedencentral",
          geography: "Europe",
          primary: true,
          units: 1,
          zones: [],
          serviceName: DEV_SERVICE,
          url: `https://${DEV_SERVICE}.azure-api.net`,
          monthlyUsd: 150.01,
        },
      ],
      frontDoor: null,
      availability: {
        publishedPercent: 99.95,
        basis: "BasicV2 in one region",
        composedPercent: null,
        source:
          "Service Level Agreements for Online Services, API Management and Azure Front Door sections (https://www.microsoft.com/licensing/docs/view/Service-Level-Agreements-SLA-for-Online-Services), read 2026-12-06",
      },
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
      spilloverDeployment: null,
      spillover: null,
      groupShare: 0.5,
    });
    expect(plan.routes).toEqual([
      {
        deployment: "gpt-4o",
        endpoint: `${DEV_URL}/openai/deployments/gpt-4o`,
        model: "gpt-4o",
        usableTpm: 200000,
        members: [
          member("gpt-4o", "dev-hub", DEV_HUB, "swedencentral", 100),
          member("gpt-4o", "dev-spoke", DEV_SPOKE, "eastus2", 100),
        ],
      },
      {
        deployment: "gpt-4o-mini",
        endpoint: `${DEV_URL}/openai/deployments/gpt-4o-mini`,
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
        models: ["gpt-4o"],
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
        models: ["gpt-4o-mini"],
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
        models: ["gpt-4o"],
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
        models: ["gpt-4o-mini"],
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

describe("plan of the prod example (test/fixtures/examples/Pulumi.prod.yaml)", () => {
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
      model: "*",
      models: ["gpt-4o"],
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
    expect(lines.slice(at + 1, at + 5)).toEqual([
      `  endpoint ${DEV_URL}/openai/deployments/gpt-4o`,
      "  backend                            priority  weight  share  in group  subscription  region         type            capacity  TPM      RPM",
      "  aoai-dev-hub-swedencentral-gpt-4o  1         50      50%    50%       dev-hub       swedencentral  GlobalStandard  100K      100,000  600",
      "  aoai-dev-spoke-eastus2-gpt-4o      1         50      50%    50%       dev-spoke     eastus2        GlobalStandard  100K      100,000  600",
    ]);
  });

  it("lists each quota pool with allocation, quota, percentage used and source", () => {
    const at = lines.indexOf(
      "Quota pools (subscription / region / model / type; * = every model, provisioned quota is model-independent): allocated of quota",
    );
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
  raw.gateway.sku = "Developer";
  raw.gateway.capacity = 1;
  raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 100 }];
  raw.subscriptions[1].offer = "MSDN";
  raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50 });
  raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2, capacity: 10 })] }));
  const lines = formatPlan(fixturePlan(raw)).split("\n");

  it("names the gateway's tier, units, region, subscription and routing mode", () => {
    expect(lines[0]).toBe(
      "Gateway contoso-ai: API Management Developer, 1 unit, in swedencentral (subscription hub), routing mode pool",
    );
  });

  it("shows PTU capacity, unknown TPM, no RPM and spillover members", () => {
    const at = lines.indexOf("Route gpt-4o (model gpt-4o): 10,000 TPM usable over 2 members");
    expect(lines.slice(at + 2, at + 5)).toEqual([
      "  backend                          priority  weight  share      in group  subscription  region         type                capacity  TPM     RPM",
      "  aoai-hub-swedencentral-gpt-4o    1         100     100%       100%      hub           swedencentral  ProvisionedManaged  50 PTU    ?       -",
      "  aoai-spoke-swedencentral-gpt-4o  2         100     spillover  100%      spoke         swedencentral  GlobalStandard      10K       10,000  60",
    ]);
  });

  it("shows a PTU pool in PTU and an unknown quota as unknown", () => {
    const at = lines.indexOf(
      "Quota pools (subscription / region / model / type; * = every model, provisioned quota is model-independent): allocated of quota",
    );
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  pool                                             allocated   quota    use  source",
      "  hub/swedencentral/*/ProvisionedManaged (gpt-4o)  50 PTU      100 PTU  50%  override",
      "  spoke/swedencentral/gpt-4o/GlobalStandard        10,000 TPM  unknown  -    unknown",
    ]);
  });

  it("lists the warnings after the total", () => {
    const at = lines.indexOf("Total usable throughput: 10,000 TPM");
    expect(lines.slice(at + 1)).toEqual([
      "",
      "Warnings (2):",
      "  - aoai-gateway:backends[0].deployments[0]: provisioned deployment gpt-4o has no tpmPerPtu, so its throughput is not counted in TPM totals",
      "  - quota pool spoke/swedencentral/gpt-4o/GlobalStandard: quota unknown for offer MSDN; 10,000 TPM allocated is not checked (set aoai-gateway:subscriptions[1].quotas to check it)",
      "",
    ]);
  });
});

describe("plan endpoints and client snippet (issue #14)", () => {
  const plan = stackPlan("dev");
  const lines = formatPlan(plan, { stack: "dev" }).split("\n");

  it("prints the gateway URL, the API and the v1 base URL under the gateway line", () => {
    expect(lines[2]).toBe(`  URL ${DEV_URL} (API azure-openai at /openai); v1 API base URL ${DEV_URL}/openai/v1/`);
  });

  it("prints a three-line JavaScript client snippet naming the consumer keys output", () => {
    expect(lines.slice(5, 9)).toEqual([
      "Call it (JavaScript, npm install openai; GATEWAY_KEY = a consumer's key (app-team) from `pulumi stack output consumerKeys --show-secrets --stack dev`):",
      '  import { AzureOpenAI } from "openai";',
      `  const client = new AzureOpenAI({ endpoint: "${DEV_URL}", apiKey: process.env.GATEWAY_KEY, apiVersion: "2024-10-21" });`,
      '  const reply = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hello" }] });',
    ]);
  });

  it("says how to get a key when the stack has no consumers", () => {
    const raw = validRawConfig();
    expect(clientSnippet(fixturePlan(raw))[0]).toBe(
      "Call it (JavaScript, npm install openai; GATEWAY_KEY = no consumers yet: add aoai-gateway:consumers, deploy, then `pulumi stack output consumerKeys --show-secrets`):",
    );
  });

  it("prints each route's endpoint under its heading", () => {
    expect(lines.filter((l) => l.startsWith("  endpoint "))).toEqual([
      `  endpoint ${DEV_URL}/openai/deployments/gpt-4o`,
      `  endpoint ${DEV_URL}/openai/deployments/gpt-4o-mini`,
    ]);
  });

  it("lists the consumers in the plan", () => {
    expect(plan.consumers).toEqual(["app-team"]);
  });
});

describe("shares inside spillover groups (prod)", () => {
  const plan = stackPlan("prod");
  const gpt4o = plan.routes.find((r) => r.deployment === "gpt-4o");

  it("gives each member its share of its own priority group", () => {
    expect(gpt4o?.members.map((m) => [m.priority, m.share, m.groupShare])).toEqual([
      [1, 1, 1],
      [2, 0, 0.5],
      [2, 0, 0.5],
      [3, 0, 1],
    ]);
  });

  it("shows the in-group share in the text and explains both columns", () => {
    const lines = formatPlan(plan).split("\n");
    expect([
      lines.find((l) => l.startsWith("  aoai-prod-east-eastus2-gpt-4o ")),
      lines.filter((l) => l.startsWith("share: ") || l.startsWith("a spillover group")),
    ]).toEqual([
      "  aoai-prod-east-eastus2-gpt-4o       2         50      spillover  50%       prod-east     eastus2        GlobalStandard            450K      450,000  2,700",
      [
        "share: of the route's traffic while nothing is throttled. in group: of the traffic a priority group takes;",
        "a spillover group (higher priority number) takes traffic only while every group above it is out.",
      ],
    ]);
  });

  it("splits a group whose weights are all 0 evenly", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = 0;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ weight: 0 })] }));
    const route = fixturePlan(raw).routes[0];
    expect(route.members.map((m) => m.groupShare)).toEqual([0.5, 0.5]);
  });
});
