import { describe, expect, it } from "vitest";
import { TIERS } from "../infra/config/schema";
import { validateConfig } from "../infra/config/validate";
import {
  buildTopology,
  defaultQuotaTpm,
  defaultWeights,
  monthlyPrice,
  rpmFor,
  type QuotaPoolModel,
  type Topology,
} from "../infra/model/topology";
import {
  HUB_ID,
  SPOKE_ID,
  backend,
  configErrorOf,
  deployment,
  validRawConfig,
  type RawConfigFixture,
} from "./helpers/config-fixtures";

function topology(raw: RawConfigFixture): Topology {
  return buildTopology(validateConfig(raw));
}

/** The parts of a quota pool the arithmetic is about. */
function pool(p: QuotaPoolModel) {
  return {
    pool: `${p.subscription.alias}/${p.location}/${p.model}/${p.sku}`,
    unit: p.unit,
    quota: p.quota,
    quotaSource: p.quotaSource,
    allocated: p.allocated,
    draws: p.draws.map((d) => `${d.configPath} ${d.accountKey} ${d.deployment} ${d.capacity}`),
  };
}

/** The route's members as [account, priority, weight, share]. */
function members(t: Topology, route: string) {
  const r = t.routes.find((x) => x.name === route);
  if (!r) throw new Error(`no route ${route}`);
  return r.members.map((m) => [m.accountKey, m.priority, m.weight, m.share]);
}

describe("quota pools", () => {
  it("puts two accounts in one subscription and region in one pool whose allocation is their sum", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ key: "2", deployments: [deployment({ capacity: 200 })] }));
    expect(topology(raw).quotaPools.map(pool)).toEqual([
      {
        pool: "hub/swedencentral/gpt-4o/GlobalStandard",
        unit: "TPM",
        quota: 450000,
        quotaSource: "default",
        allocated: 300000,
        draws: [
          "aoai-gateway:backends[0].deployments[0] hub-swedencentral gpt-4o 100",
          "aoai-gateway:backends[1].deployments[0] hub-swedencentral-2 gpt-4o 200",
        ],
      },
    ]);
  });

  it("puts two deployment names of one model in one account in one pool", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments.push(deployment({ name: "chat", capacity: 50 }));
    expect(topology(raw).quotaPools.map((p) => [pool(p).pool, p.allocated])).toEqual([
      ["hub/swedencentral/gpt-4o/GlobalStandard", 150000],
    ]);
  });

  it("gives each region of one subscription its own pool", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ location: "eastus2", deployments: [deployment({ capacity: 200 })] }));
    expect(topology(raw).quotaPools.map((p) => [pool(p).pool, p.allocated])).toEqual([
      ["hub/swedencentral/gpt-4o/GlobalStandard", 100000],
      ["hub/eastus2/gpt-4o/GlobalStandard", 200000],
    ]);
  });

  it("gives each subscription in one region its own pool", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ capacity: 200 })] }));
    expect(topology(raw).quotaPools.map((p) => [pool(p).pool, p.allocated])).toEqual([
      ["hub/swedencentral/gpt-4o/GlobalStandard", 100000],
      ["spoke/swedencentral/gpt-4o/GlobalStandard", 200000],
    ]);
  });

  it("gives each deployment type of one model in one subscription and region its own pool", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments.push(deployment({ name: "gpt-4o-dz", sku: "DataZoneStandard", capacity: 200 }));
    expect(topology(raw).quotaPools.map((p) => [pool(p).pool, p.quota, p.allocated])).toEqual([
      ["hub/swedencentral/gpt-4o/GlobalStandard", 450000, 100000],
      ["hub/swedencentral/gpt-4o/DataZoneStandard", 300000, 200000],
    ]);
  });

  it("replaces the default quota with the subscription's override for that pool", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 900000 }];
    const [p] = topology(raw).quotaPools;
    expect([p.quota, p.quotaSource]).toEqual([900000, "override"]);
  });

  it("does not apply an override for another region", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "eastus2", tpm: 900000 }];
    const [p] = topology(raw).quotaPools;
    expect([p.quota, p.quotaSource]).toEqual([450000, "default"]);
  });

  it("does not apply an override of one subscription to another", () => {
    const raw = validRawConfig();
    raw.subscriptions[1].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 900000 }];
    const [p] = topology(raw).quotaPools;
    expect([p.quota, p.quotaSource]).toEqual([450000, "default"]);
  });

  it("accepts an override of 0 as a known quota of 0", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 0 }];
    expect(configErrorOf(() => topology(raw))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/gpt-4o/GlobalStandard is overcommitted: 100,000 TPM allocated, quota 0 TPM (override); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 100,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("reads Enterprise gpt-4o GlobalStandard as 30,000,000 TPM", () => {
    expect(defaultQuotaTpm("Enterprise", "gpt-4o", "GlobalStandard")).toBe(30000000);
  });

  it("reads Default gpt-4o Standard as 150,000 TPM", () => {
    expect(defaultQuotaTpm("Default", "gpt-4o", "Standard")).toBe(150000);
  });

  it("reads PayAsYouGo o3 GlobalStandard as 0 TPM", () => {
    expect(defaultQuotaTpm("PayAsYouGo", "o3", "GlobalStandard")).toBe(0);
  });

  it("has no default for a model the offer table does not list", () => {
    expect(defaultQuotaTpm("MSDN", "gpt-4o", "GlobalStandard")).toBeUndefined();
  });

  it("uses the subscription's offer table for the pool quota", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "Enterprise";
    raw.backends[0].deployments[0].capacity = 30000;
    const [p] = topology(raw).quotaPools;
    expect([p.quota, p.quotaSource, p.allocated]).toEqual([30000000, "default", 30000000]);
  });

  it("accepts an allocation exactly equal to the quota", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 450;
    expect(topology(raw).quotaPools[0].allocated).toBe(450000);
  });

  it("rejects an overcommitted pool, naming the pool, the quota and every deployment drawing from it", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ key: "2", deployments: [deployment({ capacity: 400 })] }));
    expect(configErrorOf(() => topology(raw))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/gpt-4o/GlobalStandard is overcommitted: 500,000 TPM allocated, quota 450,000 TPM (Default offer default); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 100,000 TPM), aoai-gateway:backends[1].deployments[0] (gpt-4o, 400,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("rejects any o3 deployment in a PayAsYouGo subscription (quota 0)", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "PayAsYouGo";
    raw.backends[0].deployments[0] = deployment({ name: "o3", model: "o3", version: "2025-04-16", capacity: 1 });
    expect(configErrorOf(() => topology(raw))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/o3/GlobalStandard is overcommitted: 1,000 TPM allocated, quota 0 TPM (PayAsYouGo offer default); drawn by aoai-gateway:backends[0].deployments[0] (o3, 1,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("reports every overcommitted pool at once", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 500;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ capacity: 451 })] }));
    expect(configErrorOf(() => topology(raw))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/gpt-4o/GlobalStandard is overcommitted: 500,000 TPM allocated, quota 450,000 TPM (Default offer default); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 500,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
      "aoai-gateway:backends: quota pool spoke/swedencentral/gpt-4o/GlobalStandard is overcommitted: 451,000 TPM allocated, quota 450,000 TPM (Default offer default); drawn by aoai-gateway:backends[1].deployments[0] (gpt-4o, 451,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("warns that an unknown quota is not checked", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "MSDN";
    raw.backends.push(backend({ subscription: "spoke" }));
    expect(topology(raw).warnings).toEqual([
      "quota pool hub/swedencentral/gpt-4o/GlobalStandard: quota unknown for offer MSDN; 100,000 TPM allocated is not checked (set aoai-gateway:subscriptions[0].quotas to check it)",
    ]);
  });

  it("keeps an unknown quota as null with source unknown", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "MSDN";
    const [p] = topology(raw).quotaPools;
    expect([p.quota, p.quotaSource, p.allocated]).toEqual([null, "unknown", 100000]);
  });

  it("counts a provisioned pool in PTU against a ptu override", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 150 }];
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    raw.backends.push(
      backend({ key: "2", deployments: [deployment({ sku: "ProvisionedManaged", capacity: 100, tpmPerPtu: 2500 })] }),
    );
    expect(topology(raw).quotaPools.map(pool)).toEqual([
      {
        pool: "hub/swedencentral/*/ProvisionedManaged",
        unit: "PTU",
        quota: 150,
        quotaSource: "override",
        allocated: 150,
        draws: [
          "aoai-gateway:backends[0].deployments[0] hub-swedencentral gpt-4o 50",
          "aoai-gateway:backends[1].deployments[0] hub-swedencentral-2 gpt-4o 100",
        ],
      },
    ]);
  });

  it("rejects a provisioned pool allocated above its ptu override, in PTU", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 40 }];
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    expect(configErrorOf(() => topology(raw))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/*/ProvisionedManaged is overcommitted: 50 PTU allocated, quota 40 PTU (override); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 50 PTU). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("has no default quota for a provisioned pool and warns in PTU", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2 })] }));
    expect(topology(raw).warnings).toEqual([
      "quota pool hub/swedencentral/*/ProvisionedManaged: quota unknown for offer Default; 50 PTU allocated is not checked (set aoai-gateway:subscriptions[0].quotas to check it)",
    ]);
  });
});

describe("deployments and throughput", () => {
  it("counts a Standard-family capacity in thousands of TPM", () => {
    expect(topology(validRawConfig()).accounts[0].deployments[0].capacityTpm).toBe(100000);
  });

  it("counts a provisioned capacity as PTUs times tpmPerPtu", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    expect(topology(raw).accounts[0].deployments[0].capacityTpm).toBe(125000);
  });

  it("leaves a provisioned deployment without tpmPerPtu out of TPM totals, with a warning", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50 });
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2 })] }));
    const t = topology(raw);
    expect({
      capacityTpm: t.accounts[0].deployments[0].capacityTpm,
      totalTpm: t.totalTpm,
      warnings: t.warnings,
    }).toEqual({
      capacityTpm: null,
      totalTpm: 100000,
      warnings: [
        "aoai-gateway:backends[0].deployments[0]: provisioned deployment gpt-4o has no tpmPerPtu, so its throughput is not counted in TPM totals",
      ],
    });
  });

  it("gives a Standard-family deployment the RPM of its model's ratio", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 150;
    expect(topology(raw).accounts[0].deployments[0].rpm).toBe(900);
  });

  it("gives a provisioned deployment no RPM", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    expect(topology(raw).accounts[0].deployments[0].rpm).toBeNull();
  });

  it("gives gpt-4o 6 RPM per 1,000 TPM", () => {
    expect(rpmFor("gpt-4o", 100000)).toBe(600);
  });

  it("gives o3 1 RPM per 1,000 TPM", () => {
    expect(rpmFor("o3", 100000)).toBe(100);
  });

  it("gives o1 1 RPM per 6,000 TPM", () => {
    expect(rpmFor("o1", 60000)).toBe(10);
  });

  it("gives o3-mini 1 RPM per 10,000 TPM", () => {
    expect(rpmFor("o3-mini", 100000)).toBe(10);
  });

  it("has no RPM for a model without a known ratio", () => {
    expect(rpmFor("my-fine-tune", 100000)).toBeNull();
  });

  it("sums every member's TPM, spillover included, into the route's usable TPM", () => {
    const raw = validRawConfig();
    raw.backends.push(
      backend({ subscription: "spoke", deployments: [deployment({ capacity: 200 })] }),
      backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ capacity: 50, priority: 2 })] }),
    );
    expect(topology(raw).routes[0].usableTpm).toBe(350000);
  });

  it("sums every route's usable TPM into the total", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments.push(
      deployment({ name: "mini", model: "gpt-4o-mini", version: "2024-07-18", capacity: 300 }),
    );
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ capacity: 200 })] }));
    const t = topology(raw);
    expect({ routes: t.routes.map((r) => [r.name, r.usableTpm]), totalTpm: t.totalTpm }).toEqual({
      routes: [
        ["gpt-4o", 300000],
        ["mini", 300000],
      ],
      totalTpm: 600000,
    });
  });
});

describe("accounts", () => {
  it("keys accounts by alias and region, adding the entry's own key to the second in one region", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ key: "2" }), backend({ subscription: "spoke" }), backend({ location: "eastus2" }));
    expect(topology(raw).accounts.map((a) => a.key)).toEqual([
      "hub-swedencentral",
      "hub-swedencentral-2",
      "spoke-swedencentral",
      "hub-eastus2",
    ]);
  });

  it("keeps an account's key when an account in another region is added before it", () => {
    const raw = validRawConfig();
    raw.backends.unshift(backend({ subscription: "spoke", location: "eastus2" }));
    expect(topology(raw).accounts.map((a) => a.key)).toEqual(["spoke-eastus2", "hub-swedencentral"]);
  });

  it("names a generated resource group after the gateway and the account key", () => {
    expect(topology(validRawConfig()).accounts[0].resourceGroup).toEqual({
      name: "contoso-ai-hub-swedencentral-rg",
      existing: false,
    });
  });

  it("uses an existing resource group when the backend names one", () => {
    const raw = validRawConfig();
    raw.backends[0].resourceGroup = "shared-ai-rg";
    expect(topology(raw).accounts[0].resourceGroup).toEqual({ name: "shared-ai-rg", existing: true });
  });

  it("lowercases subscription ids", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].id = "0000000A-0000-0000-0000-00000000ABCD";
    expect(topology(raw).accounts[0].subscription.id).toBe("0000000a-0000-0000-0000-00000000abcd");
  });

  it("merges stack tags under backend tags, the backend winning", () => {
    const raw = { ...validRawConfig(), tags: { env: "dev", owner: "platform" } };
    raw.backends[0].tags = { owner: "ai-team" };
    expect(topology(raw).accounts[0].tags).toEqual({ env: "dev", owner: "ai-team" });
  });
});

describe("weights and shares", () => {
  it("derives weights in proportion to capacity within a priority group", () => {
    expect(defaultWeights([300000, 100000])).toEqual([75, 25]);
  });

  it("keeps a derived weight at least 1", () => {
    expect(defaultWeights([1000000, 1000])).toEqual([100, 1]);
  });

  it("weights a group evenly when one member's TPM is unknown", () => {
    expect(defaultWeights([null, 100000, 200000])).toEqual([33, 33, 33]);
  });

  it("gives a lone member weight 100", () => {
    expect(defaultWeights([5000])).toEqual([100]);
  });

  it("applies derived weights per priority group of a route", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 300;
    raw.backends.push(
      backend({ subscription: "spoke" }),
      backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ priority: 2, capacity: 10 })] }),
      backend({ location: "eastus2", deployments: [deployment({ priority: 2, capacity: 30 })] }),
    );
    expect(members(topology(raw), "gpt-4o")).toEqual([
      ["hub-swedencentral", 1, 75, 0.75],
      ["spoke-swedencentral", 1, 25, 0.25],
      ["hub-eastus2", 2, 75, 0],
      ["spoke-eastus2", 2, 25, 0],
    ]);
  });

  it("keeps explicit weights and shares traffic in proportion to them", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = 30;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ weight: 10 })] }));
    expect(members(topology(raw), "gpt-4o")).toEqual([
      ["hub-swedencentral", 1, 30, 0.75],
      ["spoke-swedencentral", 1, 10, 0.25],
    ]);
  });

  it("gives members of a lower priority group a share of 0 (spillover only)", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2 })] }));
    expect(members(topology(raw), "gpt-4o")).toEqual([
      ["hub-swedencentral", 1, 100, 1],
      ["spoke-swedencentral", 2, 100, 0],
    ]);
  });

  it("treats the lowest priority number present as the first group, even when it is not 1", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = 5;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 3 })] }));
    expect(members(topology(raw), "gpt-4o")).toEqual([
      ["spoke-swedencentral", 3, 100, 1],
      ["hub-swedencentral", 5, 100, 0],
    ]);
  });

  it("orders members by priority, then by account key", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = 2;
    raw.backends.push(
      backend({ subscription: "spoke", location: "westus3" }),
      backend({ subscription: "spoke", location: "eastus2" }),
    );
    expect(members(topology(raw), "gpt-4o").map((m) => m[0])).toEqual([
      "spoke-eastus2",
      "spoke-westus3",
      "hub-swedencentral",
    ]);
  });

  it("warns that a route with one member passes its 429s to the client", () => {
    expect(topology(validRawConfig()).warnings).toEqual([
      "route gpt-4o: one member only, so a 429 from it reaches the client (add a backend in another quota pool to fail over)",
    ]);
  });
});

describe("gateway", () => {
  it("prices BasicV2 with 1 unit at its base price", () => {
    expect(topology(validRawConfig()).gateway.monthlyUsd).toBe(150.01);
  });

  it("prices StandardV2 with 2 units as base plus one extra unit", () => {
    expect(monthlyPrice(TIERS.StandardV2, 2)).toBe(1200);
  });

  it("prices PremiumV2 with 3 units as base plus two extra units", () => {
    expect(monthlyPrice(TIERS.PremiumV2, 3)).toBe(5603);
  });

  it("prices Consumption, which has no units, at its base price", () => {
    expect(monthlyPrice(TIERS.Consumption, 0)).toBe(0);
  });

  it("places the gateway in its subscription with a generated resource group", () => {
    const g = topology(validRawConfig()).gateway;
    expect({ subscription: g.subscription.id, resourceGroup: g.resourceGroup }).toEqual({
      subscription: HUB_ID,
      resourceGroup: { name: "contoso-ai-gateway-rg", existing: false },
    });
  });

  it("lists every subscription with its alias, id and offer", () => {
    expect(topology(validRawConfig()).subscriptions).toEqual([
      { alias: "hub", id: HUB_ID, offer: "Default" },
      { alias: "spoke", id: SPOKE_ID, offer: "Default" },
    ]);
  });
});
