/**
 * Config mistakes that passed silently before issue #11: keys nothing reads,
 * publicNetworkAccess Disabled, list-order account names, a model typo that
 * blamed the correct entries, PTU pools split by model, PTU members that
 * silently even out a priority group's weights.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { stackKeyProblems, validateConfig } from "../infra/config/validate";
import { buildTopology } from "../infra/model/topology";
import { cli } from "./helpers/cli";
import { runStack, stackConfig } from "./helpers/program";
import { backend, configErrorOf, configProblems, deployment, validRawConfig } from "./helpers/config-fixtures";

const ALLOWED =
  "allowed: aoai-gateway:<key> (gateway, subscriptions, backends, routing, circuitBreaker, consumers, policies, monitoring, clientAuth, security, tags, modelCatalog, cloud, network) or a key of a passthrough namespace (pulumi:*, azure-native:*, random:*)";

describe("stack file keys outside the aoai-gateway namespace", () => {
  it("refuses a key without a namespace and suggests ours", () => {
    expect(stackKeyProblems(["consumers"])).toEqual([
      `consumers: unknown stack config key, nothing reads it; did you mean "aoai-gateway:consumers"?; ${ALLOWED}`,
    ]);
  });

  it("refuses a misspelt namespace and suggests the key it meant", () => {
    expect(stackKeyProblems(["aoai-gatway:tags"])).toEqual([
      `aoai-gatway:tags: unknown stack config key, nothing reads it; did you mean "aoai-gateway:tags"?; ${ALLOWED}`,
    ]);
  });

  it("accepts our keys and the passthrough namespaces", () => {
    expect(
      stackKeyProblems([
        "aoai-gateway:gateway",
        "pulumi:disable-default-providers",
        "azure-native:location",
        "random:x",
      ]),
    ).toEqual([]);
  });

  it("reports unknown stack keys with the namespace's own problems when validating", () => {
    expect(
      configErrorOf(() => validateConfig(validRawConfig(), { stackKeys: ["aoai-gateway:gateway", "tags"] })),
    ).toEqual([`tags: unknown stack config key, nothing reads it; did you mean "aoai-gateway:tags"?; ${ALLOWED}`]);
  });
});

describe("publicNetworkAccess", () => {
  it("refuses Disabled without aoai-gateway:network, with the reason", () => {
    const raw = validRawConfig();
    raw.backends[0].publicNetworkAccess = "Disabled";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].publicNetworkAccess: got "Disabled"; allowed: Enabled, unless aoai-gateway:network gives the gateway private endpoints to the accounts (without them every gateway call gets 403 from the account, which the circuit breaker does not count, so nothing fails over; docs/networking.md)',
    ]);
  });
});

describe("backend keys", () => {
  it("requires a key on the second entry of one subscription and region", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ deployments: [deployment({ name: "other" })] }));
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[1].key: missing; required: a key (e.g. "2" or "ptu"), because aoai-gateway:backends[0] is also in subscription "hub" region swedencentral without one (account names come from subscription, region and key, never from list order; key "2" keeps the name this entry had before keys existed)',
    ]);
  });

  it("refuses one key twice in one subscription and region", () => {
    const raw = validRawConfig();
    raw.backends[0].key = "a";
    raw.backends.push(backend({ key: "a", deployments: [deployment({ name: "other" })] }));
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[1].key: got "a"; allowed: a key not used before in subscription "hub" region swedencentral (already at aoai-gateway:backends[0])',
    ]);
  });

  it("names accounts the same whatever the order of the entries", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ key: "ptu", deployments: [deployment({ name: "other" })] }));
    const reordered = validRawConfig();
    reordered.backends = [raw.backends[1], raw.backends[0]];
    const names = (r: unknown) =>
      buildTopology(validateConfig(r))
        .accounts.map((a) => `${a.key} ${a.name}`)
        .sort();
    expect(names(reordered)).toEqual(names(raw));
  });

  it("keeps the names a first and a second account in one region had before keys existed", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ key: "2", deployments: [deployment({ name: "other" })] }));
    expect(buildTopology(validateConfig(raw)).accounts.map((a) => a.name)).toEqual([
      "contoso-ai-hub-swedencentral-bf98a0b5",
      "contoso-ai-hub-swedencentral-2-84fed45c",
    ]);
  });
});

describe("a model typo in one of several members", () => {
  it("blames the odd one out, not the members that agree", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].model = "gpt4o";
    raw.backends.push(backend({ subscription: "spoke" }), backend({ location: "eastus2" }));
    expect(configProblems(raw).filter((p) => p.includes(".model:"))).toEqual([
      `aoai-gateway:backends[0].deployments[0].model: got "gpt4o"; allowed: a model in the catalog (dall-e-3, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-4o, gpt-4o-mini, gpt-4o-mini-transcribe, gpt-4o-mini-tts, gpt-4o-transcribe, gpt-5, gpt-5-mini, gpt-5-nano, gpt-image-1, o1, o3, o3-mini, o4-mini, text-embedding-3-large, text-embedding-3-small, text-embedding-ada-002, tts, tts-hd, whisper; infra/data/model-catalog.json, read 2026-12-06), or add it to aoai-gateway:modelCatalog; did you mean "gpt-4o"?`,
      'aoai-gateway:backends[0].deployments[0].model: got "gpt4o"; allowed: "gpt-4o", the model 2 other members of route "gpt-4o" have (one deployment name is one route and serves one model)',
    ]);
  });

  it("blames the model the catalog does not know when two members disagree", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ model: "gpt-4oo" })] }));
    expect(configProblems(raw).filter((p) => p.includes("one deployment name is one route"))).toEqual([
      'aoai-gateway:backends[1].deployments[0].model: got "gpt-4oo"; allowed: "gpt-4o", the model route "gpt-4o" has at aoai-gateway:backends[0].deployments[0] (one deployment name is one route and serves one model)',
    ]);
  });
});

describe("provisioned quota pools", () => {
  it("puts two PTU models in one subscription and region into one pool", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments = [
      deployment({ sku: "GlobalProvisionedManaged", capacity: 30 }),
      deployment({
        name: "mini",
        model: "gpt-4.1-mini",
        version: "2025-04-14",
        sku: "GlobalProvisionedManaged",
        capacity: 15,
      }),
    ];
    const pools = buildTopology(validateConfig(raw)).quotaPools;
    expect(pools.map((p) => [p.model, p.models, p.sku, p.quota, p.allocated])).toEqual([
      ["*", ["gpt-4.1-mini", "gpt-4o"], "GlobalProvisionedManaged", 50, 45],
    ]);
  });

  it("refuses two PTU models whose sum is over the shared pool's quota", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 40 }];
    raw.backends[0].deployments = [
      deployment({ sku: "GlobalProvisionedManaged", capacity: 30 }),
      deployment({
        name: "mini",
        model: "gpt-4.1-mini",
        version: "2025-04-14",
        sku: "GlobalProvisionedManaged",
        capacity: 15,
      }),
    ];
    expect(configErrorOf(() => buildTopology(validateConfig(raw)))).toEqual([
      "aoai-gateway:backends: quota pool hub/swedencentral/*/GlobalProvisionedManaged is overcommitted: 45 PTU allocated, quota 40 PTU (override); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 30 PTU), aoai-gateway:backends[0].deployments[1] (mini, 15 PTU). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)",
    ]);
  });

  it("refuses two PTU overrides for one type and region", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o", sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 },
      { model: "gpt-4.1", sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 },
    ];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[1]: got a second override for GlobalProvisionedManaged in swedencentral; allowed: one override per provisioned type and region (PTU quota is shared by every model; first at aoai-gateway:subscriptions[0].quotas[0])",
    ]);
  });

  it("still requires the model of a Standard-family override", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "GlobalStandard", location: "swedencentral", tpm: 1000 }];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0].model: missing; required: a model name for GlobalStandard (Standard-family quota is granted per model)",
    ]);
  });
});

describe("PTU members without tpmPerPtu in a shared priority group", () => {
  it("warns that the group's weights are even", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments[0] = deployment({ sku: "GlobalProvisionedManaged", capacity: 50 });
    raw.backends.push(backend({ subscription: "spoke" }));
    expect(buildTopology(validateConfig(raw)).warnings.filter((w) => w.startsWith("route gpt-4o priority"))).toEqual([
      "route gpt-4o priority 1: aoai-gateway:backends[0].deployments[0] is a provisioned member without tpmPerPtu, so the group's 2 members are weighted evenly instead of by throughput; set tpmPerPtu (Microsoft's capacity calculator) or explicit weights",
    ]);
  });

  it("does not warn when the PTU member has a priority group of its own", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 50 }];
    raw.backends[0].deployments[0] = deployment({ sku: "GlobalProvisionedManaged", capacity: 50 });
    raw.backends.push(backend({ subscription: "spoke", deployments: [deployment({ priority: 2 })] }));
    expect(buildTopology(validateConfig(raw)).warnings.filter((w) => w.startsWith("route gpt-4o priority"))).toEqual(
      [],
    );
  });
});

describe("stack keys nothing reads, end to end", () => {
  const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails `plan` with exit code 1 for a key without our namespace", async () => {
    const file = join(dir, "Pulumi.typo.yaml");
    const config = { ...stackConfig("dev"), consumers: [{ name: "x" }] };
    writeFileSync(file, stringify({ config }));
    const r = await cli("plan", "--config", file);
    expect([r.code, r.err]).toEqual([
      1,
      `invalid stack config (1 problem):\n  - consumers: unknown stack config key, nothing reads it; did you mean "aoai-gateway:consumers"?; ${ALLOWED}\n`,
    ]);
  });

  it("stops the Pulumi program before any resource for a misspelt namespace", async () => {
    const registered: string[] = [];
    const config = { ...stackConfig("dev"), "aoai-gatway:tags": { team: "x" } };
    await expect(runStack(config, (type) => registered.push(type))).rejects.toThrow(
      `aoai-gatway:tags: unknown stack config key, nothing reads it; did you mean "aoai-gateway:tags"?`,
    );
    expect(registered).toEqual([]);
  });
});

describe("account keys across subscriptions", () => {
  it("refuses a key that repeats another entry's account name", () => {
    const raw = validRawConfig();
    raw.subscriptions.push({ alias: "hub-eastus", id: "00000000-0000-0000-0000-000000000003" });
    raw.backends = [
      backend({ subscription: "hub-eastus", location: "westus" }),
      backend({ subscription: "hub", location: "eastus", key: "westus" }),
    ];
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[1].key: got "westus"; allowed: a key that does not repeat the account key "hub-eastus-westus" of aoai-gateway:backends[0] (the account key names its Pulumi resources and APIM backends)',
    ]);
  });
});
