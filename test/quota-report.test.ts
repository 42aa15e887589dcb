/**
 * The pure side of `aoai-gateway quota` and `capacity` (issue #19, infra/model/quota.ts): what the report
 * and the proposal make of ARM's answers, given as plain data (the ARM calls are tested against the
 * stand-in in test/quota-arm.test.ts).
 */
import { describe, expect, it } from "vitest";
import { buildCatalog } from "../infra/config/catalog";
import { validateConfig } from "../infra/config/validate";
import { formatQuotaReport, proposeCapacity, quotaReport, type RegionRead } from "../infra/model/quota";
import { buildTopology } from "../infra/model/topology";
import { HUB_ID, SPOKE_ID, backend, deployment, validRawConfig } from "./helpers/config-fixtures";

const gpt4o = (skus: string[]) => ({
  format: "OpenAI",
  name: "gpt-4o",
  version: "2024-11-20",
  skus: skus.map((name) => ({
    name,
    usageName: name.includes("Provisioned") ? `OpenAI.${name}` : `OpenAI.${name}.gpt-4o`,
  })),
});

const read = (over: Partial<RegionRead>): RegionRead => ({
  subscription: "hub",
  subscriptionId: HUB_ID,
  location: "swedencentral",
  usages: [],
  models: [gpt4o(["GlobalStandard", "ProvisionedManaged"])],
  existing: [],
  ...over,
});

describe("quota report", () => {
  it("reads a provisioned pool from the model-independent usage entry, in PTUs", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ sku: "ProvisionedManaged", location: "swedencentral", ptu: 100 }];
    raw.backends[0].deployments = [deployment({ sku: "ProvisionedManaged", capacity: 50 })];
    const t = buildTopology(validateConfig(raw));
    const r = quotaReport(t, buildCatalog(), [
      read({ usages: [{ name: "OpenAI.ProvisionedManaged", current: 30, limit: 100 }] }),
    ]);
    expect(r.pools.map((p) => [p.model, p.unit, p.usageName, p.limit, p.used, p.stackAllocated, p.available])).toEqual([
      ["*", "PTU", "OpenAI.ProvisionedManaged", 100, 30, 50, 20],
    ]);
  });

  it("says where Azure's limit differs from what plan assumes", () => {
    const t = buildTopology(validateConfig(validRawConfig()));
    const r = quotaReport(t, buildCatalog(), [
      read({ usages: [{ name: "OpenAI.GlobalStandard.gpt-4o", current: 0, limit: 1000 }] }),
    ]);
    expect(
      formatQuotaReport(r, "test")
        .split("\n")
        .filter((l) => l.includes("plan")),
    ).toEqual([
      "Azure's limit differs from what plan assumes (1; set aoai-gateway:subscriptions[].quotas, or the subscription's offer or quota tier):",
      "  - hub/swedencentral/gpt-4o/GlobalStandard: Azure 1,000,000 TPM, plan 450,000 TPM (default)",
    ]);
  });

  it("names a pool Azure lists no quota for", () => {
    const t = buildTopology(validateConfig(validRawConfig()));
    expect(quotaReport(t, buildCatalog(), [read({})]).problems).toEqual([
      `quota pool hub/swedencentral/gpt-4o/GlobalStandard: Azure lists no quota OpenAI.GlobalStandard.gpt-4o for subscription hub (${HUB_ID}) in swedencentral, so the stack's 100,000 TPM cannot be deployed there; request quota (https://aka.ms/oai/stuquotarequest) or move the deployment`,
    ]);
  });

  it("leaves out the pools of a region that could not be read, and keeps its failure", () => {
    const raw = validRawConfig();
    raw.backends.push(backend({ subscription: "spoke", location: "eastus2" }));
    const t = buildTopology(validateConfig(raw));
    const r = quotaReport(
      t,
      buildCatalog(),
      [read({ usages: [{ name: "OpenAI.GlobalStandard.gpt-4o", current: 0, limit: 450 }] })],
      ["subscription spoke: 403"],
    );
    expect([r.pools.map((p) => p.subscription), r.failures]).toEqual([["hub"], ["subscription spoke: 403"]]);
  });
});

describe("capacity proposal", () => {
  it("proposes what there is and says how much it found when Azure has less than asked", () => {
    const t = buildTopology(validateConfig(validRawConfig()));
    const p = proposeCapacity(
      t,
      buildCatalog(),
      { model: "gpt-4o", version: "2024-11-20", sku: "GlobalStandard", amount: 1000000, deployment: "gpt-4o" },
      [
        {
          subscription: "spoke",
          subscriptionId: SPOKE_ID,
          location: "eastus2",
          sku: "GlobalStandard",
          model: "gpt-4o",
          version: "2024-11-20",
          availableCapacity: 250,
        },
      ],
      [],
      () => undefined,
    );
    expect([p.found, p.entries]).toEqual([
      250000,
      [{ subscription: "spoke", location: "eastus2", capacity: 250, amount: 250000, existingAccountKey: null }],
    ]);
  });
});
