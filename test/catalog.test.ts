/**
 * The model catalog (issue #11): plan and up refuse a model, version, type,
 * region or PTU count the catalog does not offer, naming the key and what is
 * offered; a stack can add offers for models newer than the file.
 */
import { describe, expect, it } from "vitest";
import { CATALOG_READ_ON, buildCatalog } from "../infra/config/catalog";
import { validateConfig } from "../infra/config/validate";
import catalogFile from "../infra/data/model-catalog.json";
import quotaDefaults from "../infra/data/quota-defaults.json";
import { stackConfig } from "./helpers/program";
import { EXAMPLE_NAMES } from "./helpers/stacks";
import { backend, configProblems, deployment, validRawConfig } from "./helpers/config-fixtures";

const MODELS =
  "dall-e-3, gpt-4.1, gpt-4.1-mini, gpt-4.1-nano, gpt-4o, gpt-4o-mini, gpt-4o-mini-transcribe, gpt-4o-mini-tts, gpt-4o-transcribe, gpt-5, gpt-5-mini, gpt-5-nano, gpt-image-1, o1, o3, o3-mini, o4-mini, text-embedding-3-large, text-embedding-3-small, text-embedding-ada-002, tts, tts-hd, whisper";

describe("model catalog file", () => {
  it("is dated and names its sources", () => {
    expect([CATALOG_READ_ON, catalogFile.sources.length > 0]).toEqual(["2026-12-06", true]);
  });

  it("covers every model of the default quota table", () => {
    const quotaModels = Object.keys(quotaDefaults.offers.Default);
    expect(quotaModels.filter((m) => !buildCatalog().has(m))).toEqual([]);
  });

  it("covers every model deployed by the shipped example stacks (test/fixtures/examples)", () => {
    const models = EXAMPLE_NAMES.flatMap((stack) =>
      (stackConfig(stack)["aoai-gateway:backends"] as { deployments: { model: string }[] }[]).flatMap((b) =>
        b.deployments.map((d) => d.model),
      ),
    );
    expect(models.filter((m) => !buildCatalog().has(m))).toEqual([]);
  });

  it("gives every provisioned type a PTU minimum and increment", () => {
    const missing: string[] = [];
    for (const [model, entry] of buildCatalog()) {
      for (const [sku, offer] of entry.types)
        if (sku.includes("Provisioned") && !offer.ptu) missing.push(`${model} ${sku}`);
    }
    expect(missing).toEqual([]);
  });
});

describe("catalog validation", () => {
  it("refuses an unknown model, lists the catalog's models and suggests the close one", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].model = "gpt4o";
    expect(configProblems(raw)).toEqual([
      `aoai-gateway:backends[0].deployments[0].model: got "gpt4o"; allowed: a model in the catalog (${MODELS}; infra/data/model-catalog.json, read 2026-12-06), or add it to aoai-gateway:modelCatalog; did you mean "gpt-4o"?`,
    ]);
  });

  it("refuses a version the catalog does not offer and lists the versions", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0].version = "2024-12-01";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].version: got "2024-12-01"; allowed: a version of gpt-4o the catalog offers (2024-05-13, 2024-08-06, 2024-11-20), or add it to aoai-gateway:modelCatalog',
    ]);
  });

  it("refuses a deployment type that does not offer the model and lists the types", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ model: "gpt-4.1", version: "2025-04-14", sku: "Standard" });
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].deployments[0].sku: got "Standard"; allowed: a deployment type that offers gpt-4.1 (DataZoneProvisionedManaged, DataZoneStandard, GlobalProvisionedManaged, GlobalStandard, ProvisionedManaged), or add it to aoai-gateway:modelCatalog',
    ]);
  });

  it("refuses a region that does not offer the model as that type and lists the regions", () => {
    const raw = validRawConfig();
    raw.backends[0] = backend({
      location: "eastus2",
      deployments: [deployment({ model: "gpt-4o-mini", version: "2024-07-18", sku: "Standard" })],
    });
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:backends[0].location: got "eastus2"; allowed: a region that offers gpt-4o-mini as Standard (eastus, northcentralus, swedencentral, westus), or add it to aoai-gateway:modelCatalog',
    ]);
  });

  it("refuses a PTU count below the type's minimum", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ sku: "GlobalProvisionedManaged", capacity: 10 });
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got 10 PTU; allowed: at least 15 PTU in steps of 5 for gpt-4o GlobalProvisionedManaged (15, 20, 25, ...)",
    ]);
  });

  it("refuses a PTU count off the type's increment", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ sku: "ProvisionedManaged", capacity: 75 });
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:backends[0].deployments[0].capacity: got 75 PTU; allowed: at least 50 PTU in steps of 50 for gpt-4o ProvisionedManaged (50, 100, 150, ...)",
    ]);
  });

  it("accepts a model newer than the file once the stack's modelCatalog offers it", () => {
    const raw = validRawConfig();
    raw.backends[0].deployments[0] = deployment({ model: "gpt-6", version: "2026-10-01", sku: "GlobalStandard" });
    raw.modelCatalog = [{ model: "gpt-6", versions: ["2026-10-01"], skus: ["GlobalStandard"] }];
    expect(validateConfig(raw).backends[0].deployments[0].model).toBe("gpt-6");
  });

  it("adds a stack's regions and PTU rules to a model the file knows", () => {
    const raw = validRawConfig();
    raw.backends[0] = backend({
      location: "koreasouth",
      deployments: [deployment({ sku: "GlobalProvisionedManaged", capacity: 12 })],
    });
    raw.modelCatalog = [
      {
        model: "gpt-4o",
        versions: ["2024-11-20"],
        skus: ["GlobalProvisionedManaged"],
        regions: ["koreasouth"],
        ptuMinimum: 12,
      },
    ];
    expect(validateConfig(raw).backends[0].deployments[0].capacity).toBe(12);
  });
});
