/**
 * Complete, dated data (issue #19): every model family the gateway routes plans with RPM and a price,
 * every pool of an Enterprise stack has a known quota, usage tiers warn, and a model added through
 * aoai-gateway:modelCatalog plans with RPM and cost when its entry says what they are. Pinned values
 * belong to test/fixtures/quota/Pulumi.enterprise.yaml and to the configs built here.
 */
import { describe, expect, it } from "vitest";
import { buildCatalog } from "../infra/config/catalog";
import { validateConfig } from "../infra/config/validate";
import modelCatalog from "../infra/data/model-catalog.json";
import modelPrices from "../infra/data/model-prices.json";
import quotaDefaults from "../infra/data/quota-defaults.json";
import { loadTopology } from "../infra/cli/common";
import { estimateCost, formatCost } from "../infra/model/cost";
import { createPlan, formatPlan } from "../infra/model/plan";
import { buildTopology, defaultQuotaTpm } from "../infra/model/topology";
import { backend, configProblems, deployment, validRawConfig } from "./helpers/config-fixtures";
import { cli } from "./helpers/cli";

const FIXTURE = "test/fixtures/quota/Pulumi.enterprise.yaml";
const enterprise = () => loadTopology(FIXTURE);
const memberOf = (t: ReturnType<typeof enterprise>, route: string) =>
  t.routes.find((r) => r.name === route)?.members[0];

describe("data files", () => {
  it("each name their sources and the date they were read", () => {
    expect([modelCatalog, quotaDefaults, modelPrices].map((f) => [f.readOn, "sources" in f || "source" in f])).toEqual([
      ["2026-12-06", true],
      ["2026-12-06", true],
      ["2026-12-06", true],
    ]);
  });

  it("list the embeddings, audio and image models the gateway routes", () => {
    const wanted = [
      "text-embedding-3-small",
      "text-embedding-3-large",
      "text-embedding-ada-002",
      "whisper",
      "gpt-4o-transcribe",
      "gpt-4o-mini-transcribe",
      "gpt-4o-mini-tts",
      "tts",
      "tts-hd",
      "dall-e-3",
      "gpt-image-1",
    ];
    expect(wanted.filter((m) => !buildCatalog().has(m))).toEqual([]);
  });

  it("give every catalog model a price: per token, or per request for request-metered ones", () => {
    const perRequest = modelPrices.perRequest as Record<string, unknown>;
    const perToken = modelPrices.models as Record<string, unknown>;
    expect([...buildCatalog().keys()].filter((m) => !(m in perToken) && !(m in perRequest))).toEqual([]);
  });

  it("give every token-metered catalog model an RPM ratio", () => {
    const ratios = quotaDefaults.rpmPer1000Tpm as Record<string, unknown>;
    expect([...buildCatalog()].filter(([m, e]) => e.unit === "tokens" && !(m in ratios)).map(([m]) => m)).toEqual([]);
  });

  it("have an Enterprise table for every model of the Default table", () => {
    const missing = Object.keys(quotaDefaults.offers.Default).filter((m) => !(m in quotaDefaults.offers.Enterprise));
    expect(missing).toEqual([]);
  });

  it("read quota tier 3 gpt-4.1-mini Global Standard as 46 M TPM", () => {
    expect(defaultQuotaTpm("Tier3", "gpt-4.1-mini", "GlobalStandard")).toBe(46000000);
  });

  it("leave gpt-4o Global Standard unknown under a quota tier (the tier tables list only its Data Zone row)", () => {
    expect([
      defaultQuotaTpm("Tier6", "gpt-4o", "GlobalStandard"),
      defaultQuotaTpm("Tier6", "gpt-4o", "DataZoneStandard"),
    ]).toEqual([undefined, 15000000]);
  });

  it("read Enterprise gpt-5-nano Global Standard as 150 M TPM and Data Zone as 50 M", () => {
    expect(quotaDefaults.offers.Enterprise["gpt-5-nano"]).toEqual({
      GlobalStandard: 150000000,
      DataZoneStandard: 50000000,
    });
  });
});

describe("an Enterprise stack (fixture)", () => {
  it("has a known quota for all 10 of its pools", () => {
    const pools = enterprise().quotaPools;
    expect([pools.length, pools.filter((p) => p.quota === null).length]).toEqual([10, 0]);
  });

  it("gives an embeddings member 6 RPM per 1,000 TPM", () => {
    expect(memberOf(enterprise(), "embeddings")?.deployment.rpm).toBe(1200);
  });

  it("gives a dall-e-3 member 3 RPM per capacity unit and no TPM", () => {
    const d = memberOf(enterprise(), "images")?.deployment;
    expect([d?.capacityTpm, d?.rpm, d?.metering]).toEqual([null, 6, "requests"]);
  });

  it("counts a whisper pool in requests per minute", () => {
    const p = enterprise().quotaPools.find((q) => q.model === "whisper");
    expect([p?.unit, p?.allocated, p?.quota]).toEqual(["RPM", 3, 3]);
  });

  it("prices embeddings at the input price for every token", () => {
    const route = estimateCost(enterprise()).routes.find((r) => r.deployment === "embeddings");
    // 200,000 TPM x 50% x 43,800 minutes = 4,380M tokens per member at 0.143 USD per 1M.
    expect(route?.members.map((m) => m.monthlyUsd)).toEqual([626.34, 626.34]);
  });

  it("prices a dall-e-3 member per image at 50% of its RPM", () => {
    const m = estimateCost(enterprise()).routes.find((r) => r.deployment === "images")?.members[0];
    expect([m?.basis, m?.requestsPerMonth, m?.usdPerRequest, m?.monthlyUsd]).toEqual([
      "requests",
      131400,
      0.044,
      5781.6,
    ]);
  });

  it("leaves no member of the stack unpriced", () => {
    expect(estimateCost(enterprise()).missing).toEqual([]);
  });

  it("shows a request-metered member's capacity in units and its RPM in the plan", () => {
    const text = formatPlan(createPlan(enterprise()));
    expect(text.split("\n").find((l) => l.startsWith("  aoai-hub-swedencentral-images"))).toBe(
      "  aoai-hub-swedencentral-images  1         100     100%   100%      hub           swedencentral  Standard  2 units   -    6",
    );
  });

  it("warns when a model's estimated tokens a month pass its tenant-wide usage tier", () => {
    const plan = createPlan(enterprise(), { utilization: 0.5, inputShare: 0.75, cachedInputShare: 0 });
    expect(plan.warnings.filter((w) => w.includes("usage tier"))).toEqual([
      "model gpt-4o: about 13.1 B tokens a month at 50% utilization pass its usage tier of 12 B tokens a month (tenant-wide, every subscription and region; infra/data/quota-defaults.json usageTiers): above it Standard-family latency may vary more; provisioned (PTU) deployments are exempt",
    ]);
  });

  it("does not warn about usage tiers below them", () => {
    const plan = createPlan(enterprise(), { utilization: 0.4, inputShare: 0.75, cachedInputShare: 0 });
    expect(plan.warnings.filter((w) => w.includes("usage tier"))).toEqual([]);
  });
});

describe("a model added through aoai-gateway:modelCatalog", () => {
  const withGpt6 = (entry: Record<string, unknown>) => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "gpt-6", sku: "GlobalStandard", location: "swedencentral", tpm: 1000000 }];
    raw.backends = [backend({ deployments: [deployment({ name: "gpt-6", model: "gpt-6", version: "2026-10-01" })] })];
    (raw as Record<string, unknown>).modelCatalog = [
      { model: "gpt-6", versions: ["2026-10-01"], skus: ["GlobalStandard"], ...entry },
    ];
    return buildTopology(validateConfig(raw));
  };

  it("plans with the RPM ratio its entry gives", () => {
    expect(withGpt6({ rpmPer1000Tpm: 2 }).routes[0].members[0].deployment.rpm).toBe(200);
  });

  it("is priced with the prices its entry gives", () => {
    const c = estimateCost(withGpt6({ prices: { input: 2, output: 8 } }));
    // 100,000 TPM x 50% x 43,800 minutes = 2,190M tokens; 75% at 2 and 25% at 8 USD per 1M.
    expect([c.routes[0].monthlyUsd, c.missing]).toEqual([7665, []]);
  });

  it("prints neither RPM ? nor cost unknown when its entry gives both", () => {
    const t = withGpt6({ rpmPer1000Tpm: 1, prices: { input: 1, output: 4 } });
    const text = formatPlan(createPlan(t, { utilization: 0.5, inputShare: 0.75, cachedInputShare: 0 }));
    expect([text.includes(" ?\n"), formatCost(estimateCost(t)).some((l) => l.includes("unknown"))]).toEqual([
      false,
      false,
    ]);
  });

  it("plans a request-metered model with its RPM per unit and price per request", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [{ model: "sora-3", sku: "GlobalStandard", location: "swedencentral", rpm: 60 }];
    raw.backends = [
      backend({ deployments: [deployment({ name: "video", model: "sora-3", version: "1", capacity: 10 })] }),
    ];
    (raw as Record<string, unknown>).modelCatalog = [
      {
        model: "sora-3",
        versions: ["1"],
        skus: ["GlobalStandard"],
        unit: "requests",
        rpmPerUnit: 6,
        usdPerRequest: 0.5,
      },
    ];
    const t = buildTopology(validateConfig(raw));
    const m = estimateCost(t).routes[0].members[0];
    expect([t.quotaPools[0].unit, t.quotaPools[0].allocated, t.quotaPools[0].quota, m.monthlyUsd]).toEqual([
      "RPM",
      60,
      60,
      // 60 RPM x 50% x 43,800 minutes x 0.5 USD
      657000,
    ]);
  });
});

describe("quota overrides in requests per minute", () => {
  it("refuses tpm and rpm on the same override", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "dall-e-3", sku: "Standard", location: "swedencentral", tpm: 10000, rpm: 1 },
    ];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:subscriptions[0].quotas[0]: got both tpm and rpm for Standard; allowed: tpm for token-metered models, rpm for request-metered ones (images, whisper, tts; issue #19)",
    ]);
  });
});

describe("aoai-gateway quota command line", () => {
  it("refuses an --arm-endpoint that is not https, before reading anything", async () => {
    const r = await cli("quota", "--config", FIXTURE, "--arm-endpoint", "http://127.0.0.1:1");
    expect([r.code, r.err]).toEqual([
      2,
      "error: --arm-endpoint http://127.0.0.1:1: allowed is an https:// URL (tokens are never sent in clear text)\n",
    ]);
  });

  it("asks for --tpm when a token-metered model is counted in TPM", async () => {
    const r = await cli("capacity", "--config", FIXTURE, "--model", "gpt-4o", "--rpm", "5");
    expect([r.code, r.err]).toEqual([2, "error: give --tpm N: gpt-4o as GlobalStandard is counted in TPM\n"]);
  });
});
