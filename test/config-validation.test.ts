import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig, stackFile, StackFileError } from "../infra/config/load";
import { ConfigError, keyPath, validateConfig } from "../infra/config/validate";
import { backend, configProblems, deployment, validRawConfig } from "./helpers/config-fixtures";

const REGION_RULE =
  "unknown Azure region; allowed: an Azure region name in lowercase without spaces, e.g. swedencentral, eastus2 (list: infra/data/azure-regions.json)";
const GATEWAY_NAME_RULE =
  "allowed: 3-20 chars, lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen";

/** `n` regions that are all in infra/data/azure-regions.json. */
const REGIONS = [
  "swedencentral",
  "eastus",
  "eastus2",
  "westus",
  "westus2",
  "westus3",
  "francecentral",
  "uksouth",
  "northeurope",
  "westeurope",
  "japaneast",
  "australiaeast",
  "canadaeast",
  "canadacentral",
  "centralus",
  "southcentralus",
];

describe("valid config and defaults", () => {
  it("accepts the minimal fixture config", () => {
    expect(validateConfig(validRawConfig()).gateway.name).toBe("contoso-ai");
  });

  it("defaults a deployment's priority to 1", () => {
    expect(validateConfig(validRawConfig()).backends[0].deployments[0].priority).toBe(1);
  });

  it("leaves a deployment's weight unset when the config has none (the topology derives it)", () => {
    expect(validateConfig(validRawConfig()).backends[0].deployments[0].weight).toBeUndefined();
  });

  it("defaults a subscription's offer to Default and its quota overrides to none", () => {
    const raw = validRawConfig();
    delete raw.subscriptions[0].offer;
    const sub = validateConfig(raw).subscriptions[0];
    expect({ offer: sub.offer, quotas: sub.quotas }).toEqual({ offer: "Default", quotas: [] });
  });

  it("defaults the gateway capacity to the tier's minimum units (1 for BasicV2)", () => {
    const raw = validRawConfig();
    delete raw.gateway.capacity;
    expect(validateConfig(raw).gateway.capacity).toBe(1);
  });

  it("defaults routing mode to pool for a tier with circuit breakers", () => {
    expect(validateConfig(validRawConfig()).routing.mode).toBe("pool");
  });

  it("refuses Consumption, whose 16 KiB policy documents cannot hold the routing policy, naming the tiers that can", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Consumption";
    delete raw.gateway.capacity;
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold the routing policy (at least 24,000 bytes for one route; Consumption accepts 16,384): Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
    ]);
  });

  it("accepts routing mode policy on a tier with circuit breakers", () => {
    const raw = validRawConfig();
    raw.routing = { mode: "policy" };
    expect(validateConfig(raw).routing.mode).toBe("policy");
  });
});

describe("key paths", () => {
  it("writes a path as namespace:key[index].key", () => {
    expect(keyPath(["backends", 2, "deployments", 0, "priority"])).toBe(
      "aoai-gateway:backends[2].deployments[0].priority",
    );
  });

  it("writes the empty path as the namespace alone", () => {
    expect(keyPath([])).toBe("aoai-gateway");
  });

  it("names the third backend's first deployment priority in the message for a bad priority there", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ location: "eastus2" }), backend({ location: "westus3" }));
    raw.backends[2].deployments[0].priority = 101;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[2].deployments[0].priority: got 101; allowed: an integer from 0 to 100",
    ]);
  });
});

describe("ConfigError", () => {
  it("lists every problem under a heading with their count", () => {
    expect(new ConfigError(["a: got 1", "b: got 2"]).message).toBe(
      "invalid stack config (2 problems):\n  - a: got 1\n  - b: got 2",
    );
  });

  it("says 'problem' in the heading when there is one", () => {
    expect(new ConfigError(["a: got 1"]).message).toBe("invalid stack config (1 problem):\n  - a: got 1");
  });
});

describe("unknown keys", () => {
  it("rejects an unknown top-level namespace key and lists the allowed keys", () => {
    const raw = { ...validRawConfig(), gatway: {} };
    expect(configProblems(raw)).toEqual([
      'aoai-gateway: unknown key "gatway" (did you mean "gateway"?); allowed keys: gateway, subscriptions, backends, routing, circuitBreaker, consumers, policies, monitoring, clientAuth, security, tags, modelCatalog, cloud, network',
    ]);
  });

  it("rejects an unknown key in a deployment and lists the allowed keys", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacty = 100;
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0]: unknown key "capacty" (did you mean "capacity"?); allowed keys: name, model, version, sku, capacity, priority, weight, tpmPerPtu, versionUpgradeOption, raiPolicyName, spilloverDeployment',
    ]);
  });

  it("names every unknown key of one map in one message", () => {
    const raw = validRawConfig();
    raw.gateway.foo = 1;
    raw.gateway.bar = 2;
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway: unknown keys "foo", "bar"; allowed keys: name, subscription, location, sku, capacity, publisherEmail, publisherName, resourceGroup, zones, additionalLocations',
    ]);
  });

  it("rejects an unknown key in a quota override", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpms: 1 }];
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[0].quotas[0]: unknown key "tpms" (did you mean "tpm"?); allowed keys: model, sku, location, tpm, ptu, rpm',
    ]);
  });
});

describe("single values", () => {
  it("rejects a subscription id that is not a GUID", () => {
    const raw = validRawConfig();
    raw.subscriptions[1].id = "not-a-guid";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[1].id: got "not-a-guid"; allowed: a subscription GUID like 00000000-0000-0000-0000-000000000000',
    ]);
  });

  it("rejects an unknown backend region", () => {
    const raw = validRawConfig();
    raw.backends[0].location = "swedencentrl";
    expect(configProblems(raw)).toEqual([`aoai-gateway:backends[0].location: got "swedencentrl"; ${REGION_RULE}`]);
  });

  it("rejects a gateway region written as a display name", () => {
    const raw = validRawConfig();
    raw.gateway.location = "Sweden Central";
    expect(configProblems(raw)).toEqual([`aoai-gateway:gateway.location: got "Sweden Central"; ${REGION_RULE}`]);
  });

  it("rejects an unknown region in a quota override", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "mars", tpm: 1000 }];
    expect(configProblems(raw)).toEqual([
      `aoai-gateway:subscriptions[0].quotas[0].location: got "mars"; ${REGION_RULE}`,
    ]);
  });

  it("rejects an unknown APIM sku and lists the tiers", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Premium3";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.sku: got "Premium3"; allowed: Consumption, Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
    ]);
  });

  it("rejects a deployment type the gateway cannot route to (GlobalBatch)", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].sku = "GlobalBatch";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].sku: got "GlobalBatch"; allowed: Standard, GlobalStandard, DataZoneStandard, ProvisionedManaged, GlobalProvisionedManaged, DataZoneProvisionedManaged',
    ]);
  });

  it("rejects an unknown offer", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "EA";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[0].offer: got "EA"; allowed: Default, Enterprise, PayAsYouGo, MSDN, Free, Tier1, Tier2, Tier3, Tier4, Tier5, Tier6',
    ]);
  });

  it("rejects an unknown routing mode", () => {
    const raw = validRawConfig();
    raw.routing = { mode: "round-robin" };
    expect(configProblems(raw)).toEqual(['aoai-gateway:routing.mode: got "round-robin"; allowed: pool, policy']);
  });

  it("rejects priority 101", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = 101;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].priority: got 101; allowed: an integer from 0 to 100",
    ]);
  });

  it("rejects priority -1", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = -1;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].priority: got -1; allowed: an integer from 0 to 100",
    ]);
  });

  it("rejects a fractional priority", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = 1.5;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].priority: got 1.5; allowed: an integer from 0 to 100",
    ]);
  });

  it("accepts priority 0 and 100, the ends of APIM's range", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].priority = 0;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 100 })] }));
    expect(validateConfig(raw).backends.map((b) => b.deployments[0].priority)).toEqual([0, 100]);
  });

  it("rejects weight 101", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = 101;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].weight: got 101; allowed: an integer from 0 to 100",
    ]);
  });

  it("rejects weight -1", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = -1;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].weight: got -1; allowed: an integer from 0 to 100",
    ]);
  });

  it("rejects capacity 0", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 0;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got 0; allowed: a positive integer",
    ]);
  });

  it("rejects a negative capacity", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = -5;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got -5; allowed: a positive integer",
    ]);
  });

  it("rejects a fractional capacity", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 1.5;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got 1.5; allowed: a positive integer",
    ]);
  });

  it("rejects a capacity written as a string", () => {
    const raw = validRawConfig();
    (raw.backends[0].deployments[0] as Record<string, unknown>).capacity = "100";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].capacity: got "100"; allowed: a positive integer',
    ]);
  });

  it("rejects a gateway name with capitals and an underscore", () => {
    const raw = validRawConfig();
    raw.gateway.name = "Contoso_AI";
    expect(configProblems(raw)).toEqual([`aoai-gateway:gateway.name: got "Contoso_AI"; ${GATEWAY_NAME_RULE}`]);
  });

  it("rejects a gateway name shorter than 3 characters", () => {
    const raw = validRawConfig();
    raw.gateway.name = "ab";
    expect(configProblems(raw)).toEqual([`aoai-gateway:gateway.name: got "ab"; ${GATEWAY_NAME_RULE}`]);
  });

  it("rejects a gateway name longer than 20 characters", () => {
    const raw = validRawConfig();
    raw.gateway.name = "contoso-ai-gateway-dev";
    expect(configProblems(raw)).toEqual([
      `aoai-gateway:gateway.name: got "contoso-ai-gateway-dev"; ${GATEWAY_NAME_RULE}`,
    ]);
  });

  it("rejects a gateway name ending in a hyphen", () => {
    const raw = validRawConfig();
    raw.gateway.name = "contoso-";
    expect(configProblems(raw)).toEqual([`aoai-gateway:gateway.name: got "contoso-"; ${GATEWAY_NAME_RULE}`]);
  });

  it("rejects a publisher email without an @", () => {
    const raw = validRawConfig();
    raw.gateway.publisherEmail = "platform-at-contoso.com";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.publisherEmail: got "platform-at-contoso.com"; allowed: an email address',
    ]);
  });

  it("rejects an alias with capitals", () => {
    const raw = validRawConfig();
    raw.subscriptions[1].alias = "Spoke";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[1].alias: got "Spoke"; allowed: 1-24 chars, lowercase letters, digits and hyphens, starting with a letter',
    ]);
  });

  it("rejects an empty backends list", () => {
    const raw = validRawConfig();
    raw.backends = [];
    expect(configProblems(raw)).toEqual(["aoai-gateway:backends: got an empty list; allowed: at least 1 entry"]);
  });

  it("rejects a backend without deployments", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments = [];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments: got an empty list; allowed: at least 1 entry",
    ]);
  });

  it("rejects backends written as a map", () => {
    const raw = { ...validRawConfig(), backends: { hub: {} } };
    expect(configProblems(raw)).toEqual(["aoai-gateway:backends: got a map; allowed: a list"]);
  });

  it("rejects a non-boolean feature switch", () => {
    const raw = { ...validRawConfig(), policies: { tokenLimit: { enabled: "yes" } } };
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:policies.tokenLimit.enabled: got "yes"; allowed: true or false',
    ]);
  });
});

describe("missing required keys", () => {
  it("names every missing root key of an empty namespace", () => {
    expect(configProblems({})).toEqual([
      "aoai-gateway:gateway: missing; required: a map",
      "aoai-gateway:subscriptions: missing; required: a list",
      "aoai-gateway:backends: missing; required: a list",
    ]);
  });

  it("names a missing deployment model", () => {
    const raw = validRawConfig();
    delete (raw.backends[0].deployments[0] as Partial<(typeof raw.backends)[0]["deployments"][0]>).model;
    expect(configProblems(raw)).toEqual(["aoai-gateway:backends[0].deployments[0].model: missing; required: a string"]);
  });

  it("names a missing deployment capacity with its rule", () => {
    const raw = validRawConfig();
    delete (raw.backends[0].deployments[0] as Partial<(typeof raw.backends)[0]["deployments"][0]>).capacity;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: missing; required: a positive integer",
    ]);
  });

  it("names a missing publisher email as missing, with what is required", () => {
    const raw = validRawConfig();
    delete (raw.gateway as Partial<typeof raw.gateway>).publisherEmail;
    expect(configProblems(raw)).toEqual(["aoai-gateway:gateway.publisherEmail: missing; required: an email address"]);
  });

  it("names a missing gateway sku as missing, with the tiers allowed", () => {
    const raw = validRawConfig();
    delete (raw.gateway as Partial<typeof raw.gateway>).sku;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:gateway.sku: missing; required: one of Consumption, Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2",
    ]);
  });

  it("names a missing subscription id as missing, with the GUID rule", () => {
    const raw = validRawConfig();
    delete (raw.subscriptions[1] as Partial<(typeof raw.subscriptions)[1]>).id;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[1].id: missing; required: a subscription GUID like 00000000-0000-0000-0000-000000000000",
    ]);
  });
});

describe("subscriptions", () => {
  it("rejects a duplicate alias", () => {
    const raw = validRawConfig();
    raw.subscriptions[1].alias = "hub";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[1].alias: got "hub"; allowed: an alias not used before (already used at aoai-gateway:subscriptions[0])',
    ]);
  });

  it("rejects a subscription id listed twice, ignoring letter case", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].id = "0000000a-0000-0000-0000-00000000abcd";
    raw.subscriptions[1].id = "0000000A-0000-0000-0000-00000000ABCD";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[1].id: got "0000000A-0000-0000-0000-00000000ABCD"; allowed: a subscription not listed before (already listed at aoai-gateway:subscriptions[0]; one alias per subscription, since one subscription is one set of quota pools)',
    ]);
  });

  it("rejects an unknown subscription alias on the gateway and lists the aliases", () => {
    const raw = validRawConfig();
    raw.gateway.subscription = "hubb";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.subscription: got "hubb"; allowed: an alias from aoai-gateway:subscriptions (hub, spoke)',
    ]);
  });

  it("rejects an unknown subscription alias on a backend and lists the aliases", () => {
    const raw = validRawConfig();
    raw.backends[0].subscription = "spok";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].subscription: got "spok"; allowed: an alias from aoai-gateway:subscriptions (hub, spoke)',
    ]);
  });

  it("reports only the bad key of a subscription entry, not every reference to its alias", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "EA";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:subscriptions[0].offer: got "EA"; allowed: Default, Enterprise, PayAsYouGo, MSDN, Free, Tier1, Tier2, Tier3, Tier4, Tier5, Tier6',
    ]);
  });

  it("rejects two overrides for the same quota pool", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 900000 },
      { model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 600000 },
    ];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[1]: got a second override for gpt-4o GlobalStandard in swedencentral; allowed: one override per model, deployment type and region (first at aoai-gateway:subscriptions[0].quotas[0])",
    ]);
  });

  it("rejects a tpm override for a provisioned deployment type", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o", sku: "ProvisionedManaged", location: "swedencentral", tpm: 100000 },
    ];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0]: got tpm for provisioned type ProvisionedManaged; allowed: ptu (provisioned quota is counted in PTUs)",
    ]);
  });

  it("rejects a provisioned override with neither tpm nor ptu", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalProvisionedManaged", location: "swedencentral" }];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0]: got neither tpm nor ptu for provisioned type GlobalProvisionedManaged; allowed: ptu (provisioned quota is counted in PTUs)",
    ]);
  });

  it("rejects a ptu override for a Standard-family deployment type", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", ptu: 100 }];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0]: got ptu for GlobalStandard; allowed: tpm (Standard-family quota is counted in tokens per minute)",
    ]);
  });

  it("rejects a Standard-family override that sets both tpm and ptu", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 900000, ptu: 100 },
    ];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0]: got ptu for GlobalStandard; allowed: tpm (Standard-family quota is counted in tokens per minute)",
    ]);
  });
});

describe("deployments and routes", () => {
  it("rejects one deployment name mapped to two models", () => {
    const raw = validRawConfig();
    raw.backends.push(
      backend({ subscription: "spoke", deployments: [deployment({ model: "gpt-4o-mini", version: "2024-07-18" })] }),
    );
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[1].deployments[0].model: got "gpt-4o-mini"; allowed: "gpt-4o", the model route "gpt-4o" has at aoai-gateway:backends[0].deployments[0] (one deployment name is one route and serves one model)',
    ]);
  });

  it("rejects a deployment name used twice in one account", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments.push(deployment({ version: "2024-08-06" }));
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[1].name: got "gpt-4o"; allowed: a name not used before in this account (already at aoai-gateway:backends[0].deployments[0])',
    ]);
  });

  it("rejects tpmPerPtu on a Standard-family deployment", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].tpmPerPtu = 2500;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].tpmPerPtu: got 2500; allowed: only on provisioned deployment types (GlobalStandard capacity is already in thousands of TPM)",
    ]);
  });

  it("accepts tpmPerPtu on a provisioned deployment", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 50, tpmPerPtu: 2500 });
    expect(validateConfig(raw).backends[0].deployments[0].tpmPerPtu).toBe(2500);
  });

  it("rejects a weight missing on one member of a priority group where another sets it", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = 60;
    raw.backends.push(backend({ subscription: "spoke" }));
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[1].deployments[0].weight: missing; required: an integer from 0 to 100, because aoai-gateway:backends[0].deployments[0] sets a weight in route "gpt-4o" priority 1 (set weight on every member of a priority group or on none)',
    ]);
  });

  it("accepts an explicit weight in one priority group and default weights in another", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].weight = 60;
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2 })] }));
    expect(validateConfig(raw).backends.map((b) => b.deployments[0].weight)).toEqual([60, undefined]);
  });
});

describe("Azure and APIM limits", () => {
  /** One gpt-4o member per (subscription, region), so no account or quota limit is hit first. */
  function poolOf(members: number) {
    const raw = validRawConfig();
    raw.backends = Array.from({ length: members }, (_, i) =>
      backend({ subscription: i < REGIONS.length ? "hub" : "spoke", location: REGIONS[i % REGIONS.length] }),
    );
    return raw;
  }

  it("accepts 30 members in one backend pool", () => {
    expect(validateConfig(poolOf(30)).backends).toHaveLength(30);
  });

  it("rejects 31 members in one backend pool", () => {
    expect(configProblems(poolOf(31))).toEqual([
      'aoai-gateway:backends: got 31 members for route "gpt-4o"; allowed: at most 30 members in one APIM backend pool',
    ]);
  });

  /** `n` accounts in hub / swedencentral, each with its own deployment name. */
  function accountsInOneRegion(n: number) {
    const raw = validRawConfig();
    raw.backends = Array.from({ length: n }, (_, i) =>
      backend({ ...(i > 0 ? { key: String(i + 1) } : {}), deployments: [deployment({ name: `gpt-4o-${i}` })] }),
    );
    return raw;
  }

  it("accepts 30 accounts in one subscription and region", () => {
    expect(validateConfig(accountsInOneRegion(30)).backends).toHaveLength(30);
  });

  it("rejects 31 accounts in one subscription and region", () => {
    expect(configProblems(accountsInOneRegion(31))).toEqual([
      'aoai-gateway:backends: got 31 accounts in subscription "hub" region swedencentral; allowed: at most 30 Azure OpenAI accounts per region per subscription',
    ]);
  });

  /** One account with `n` differently named deployments. */
  function deploymentsInOneAccount(n: number) {
    const raw = validRawConfig();
    raw.backends[0].deployments = Array.from({ length: n }, (_, i) => deployment({ name: `gpt-4o-${i}` }));
    return raw;
  }

  it("accepts 32 deployments in one account", () => {
    expect(validateConfig(deploymentsInOneAccount(32)).backends[0].deployments).toHaveLength(32);
  });

  it("rejects 33 deployments in one account", () => {
    expect(configProblems(deploymentsInOneAccount(33))).toEqual([
      "aoai-gateway:backends[0].deployments: got 33 deployments; allowed: at most 32 per Azure OpenAI account",
    ]);
  });
});

describe("gateway tier and features", () => {
  it("rejects capacity 1 on Consumption", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Consumption";
    raw.gateway.capacity = 1;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:gateway.capacity: got 1; allowed: 0 or no capacity for sku Consumption (it has no scale units)",
      'aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold the routing policy (at least 24,000 bytes for one route; Consumption accepts 16,384): Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
    ]);
  });

  it("rejects capacity 11 on BasicV2", () => {
    const raw = validRawConfig();
    raw.gateway.capacity = 11;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:gateway.capacity: got 11; allowed: an integer from 1 to 10 for sku BasicV2",
    ]);
  });

  it("accepts capacity 10 on BasicV2", () => {
    const raw = validRawConfig();
    raw.gateway.capacity = 10;
    expect(validateConfig(raw).gateway.capacity).toBe(10);
  });

  it("rejects capacity 2 on Developer", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Developer";
    raw.gateway.capacity = 2;
    expect(configProblems(raw)).toEqual(["aoai-gateway:gateway.capacity: got 2; allowed: exactly 1 for sku Developer"]);
  });

  it("rejects capacity 0 on StandardV2", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "StandardV2";
    raw.gateway.capacity = 0;
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:gateway.capacity: got 0; allowed: an integer from 1 to 10 for sku StandardV2",
    ]);
  });

  it("rejects routing mode pool on Consumption, which has no circuit breakers", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Consumption";
    delete raw.gateway.capacity;
    raw.routing = { mode: "pool" };
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:routing.mode: got "pool"; allowed: policy for sku Consumption (it has no backend circuit breakers, so pool members would not be taken out on 429)',
      'aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold the routing policy (at least 24,000 bytes for one route; Consumption accepts 16,384): Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
    ]);
  });
});

describe("consumers", () => {
  it("rejects two consumers with the same name", () => {
    const raw = { ...validRawConfig(), consumers: [{ name: "team-a" }, { name: "team-a" }] };
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:consumers[1].name: got "team-a"; allowed: a name not used before (already at aoai-gateway:consumers[0])',
    ]);
  });
});

describe("all problems at once", () => {
  it("reports two unrelated problems in one config as two messages", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Premium3";
    raw.backends[0].deployments[0].priority = 101;
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.sku: got "Premium3"; allowed: Consumption, Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
      "aoai-gateway:backends[0].deployments[0].priority: got 101; allowed: an integer from 0 to 100",
    ]);
  });

  it("reports a structural problem and a cross-field problem together", () => {
    const raw = validRawConfig();
    raw.gateway.publisherEmail = "nobody";
    raw.subscriptions[1].alias = "hub";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:gateway.publisherEmail: got "nobody"; allowed: an email address',
      'aoai-gateway:subscriptions[1].alias: got "hub"; allowed: an alias not used before (already used at aoai-gateway:subscriptions[0])',
    ]);
  });

  it("reports a cross-field problem in one backend while another backend has a schema error", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].capacity = 0;
    raw.backends.push(backend({ subscription: "spok" }));
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got 0; allowed: a positive integer",
      'aoai-gateway:backends[1].subscription: got "spok"; allowed: an alias from aoai-gateway:subscriptions (hub, spoke)',
    ]);
  });
});

describe("reading stack files", () => {
  const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-load-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a stack's file in stacks/ as Pulumi.NAME.yaml", () => {
    expect(stackFile("dev", "/repo")).toBe(join("/repo", "stacks", "Pulumi.dev.yaml"));
  });

  it("keeps only the aoai-gateway namespace and strips its prefix", () => {
    expect(namespaceConfig({ "azure-native:location": "swedencentral", "aoai-gateway:tags": { env: "dev" } })).toEqual({
      tags: { env: "dev" },
    });
  });

  it("parses structured values the Pulumi engine passes as JSON text", () => {
    expect(namespaceConfig({ "aoai-gateway:routing": '{"mode":"policy"}' })).toEqual({ routing: { mode: "policy" } });
  });

  it("leaves plain string values as they are", () => {
    expect(namespaceConfig({ "aoai-gateway:name": "contoso" })).toEqual({ name: "contoso" });
  });

  it("reads every key of a stack file's config map", () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, "config:\n  aoai-gateway:routing:\n    mode: pool\n  azure-native:location: eastus2\n");
    expect(readStackConfig(file)).toEqual({
      "aoai-gateway:routing": { mode: "pool" },
      "azure-native:location": "eastus2",
    });
  });

  it("reads a stack file without a config map as empty", () => {
    const file = join(dir, "empty.yaml");
    writeFileSync(file, "encryptionsalt: abc\n");
    expect(readStackConfig(file)).toEqual({});
  });

  it("names a missing file in plain words", () => {
    const file = join(dir, "missing.yaml");
    expect(() => readStackConfig(file)).toThrow(new StackFileError(`cannot read stack config ${file}: no such file`));
  });

  it("rejects a config that is a list", () => {
    const file = join(dir, "list.yaml");
    writeFileSync(file, "config:\n  - a\n");
    expect(() => readStackConfig(file)).toThrow(
      new StackFileError(`${file}: "config" must be a map of keys to values`),
    );
  });
});
