/** The cost estimate `plan` shows (issue #13): infra/model/cost.ts and infra/data/model-prices.json. */
import { describe, expect, it } from "vitest";
import { stackFile, stackNames } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { loadTopology } from "../infra/cli/common";
import {
  DEFAULT_COST_ASSUMPTIONS,
  PRICE_SOURCE,
  PRICES_READ_ON,
  estimateCost,
  placeTraffic,
  tokenPrices,
} from "../infra/model/cost";
import type { Plan } from "../infra/model/plan";
import { buildTopology } from "../infra/model/topology";
import { cli } from "./helpers/cli";
import { backend, deployment, validRawConfig } from "./helpers/config-fixtures";
import { PINNED_PROD } from "./helpers/program";

const prod = () => loadTopology(PINNED_PROD);

/** One gpt-4o GlobalStandard member of 100K TPM (the fixture). */
const single = () => buildTopology(validateConfig(validRawConfig()));

describe("cost data file", () => {
  it("is dated and names its source", () => {
    expect([
      /^\d{4}-\d{2}-\d{2}$/.test(PRICES_READ_ON),
      /^\d{4}-\d{2}-\d{2}$/.test(PRICE_SOURCE.fetched),
      PRICE_SOURCE.title,
    ]).toEqual([
      true,
      true,
      "Azure Retail Prices API (https://prices.azure.com/api/retail/prices), product names 'Azure OpenAI' and 'Azure OpenAI GPT5', retail prices in USD",
    ]);
  });

  it("prices every Standard-family deployment of every stack", () => {
    const unpriced = stackNames().flatMap((name) =>
      loadTopology(stackFile(name)).accounts.flatMap((a) =>
        a.deployments
          .filter((d) => !d.provisioned && tokenPrices(d.model, d.sku) === null)
          .map((d) => `${name}: ${d.model} ${d.sku}`),
      ),
    );
    expect(unpriced).toEqual([]);
  });

  it("gives gpt-4o (2024-11-20) Global, Data Zone and Regional token prices per 1M tokens", () => {
    expect(["GlobalStandard", "DataZoneStandard", "Standard"].map((sku) => tokenPrices("gpt-4o", sku))).toEqual([
      { input: 2.5, cachedInput: 1.25, output: 10 },
      { input: 2.75, cachedInput: 1.375, output: 11 },
      { input: 2.75, cachedInput: 1.375, output: 11 },
    ]);
  });
});

describe("cost estimate", () => {
  it("places a route's traffic on priority 1 first, then on priority 2 in proportion to TPM", () => {
    const gpt4o = prod().routes.find((r) => r.name === "gpt-4o");
    // 662,500 TPM: the PTU member takes its 125,000; the two 450,000 TPM priority-2 members split the rest.
    expect(placeTraffic(gpt4o?.members ?? [], 662500)).toEqual([125000, 268750, 268750, 0]);
  });

  it("prices a Standard member's tokens at the blended input/output price", () => {
    const c = estimateCost(single(), { utilization: 1, inputShare: 0.75, cachedInputShare: 0 });
    // 100,000 TPM x 60 x 730 = 4,380M tokens; 0.75 x 2.50 + 0.25 x 10.00 = 4.375 USD per 1M.
    expect([c.routes[0].members[0].tokensPerMonth, c.routes[0].monthlyUsd]).toEqual([4380000000, 19162.5]);
  });

  it("bills cached input at the cached price", () => {
    const c = estimateCost(single(), { utilization: 1, inputShare: 0.75, cachedInputShare: 1 });
    expect(c.routes[0].monthlyUsd).toBe(15056.25);
  });

  it("costs a provisioned member its PTU-hours whether used or not", () => {
    const ptu = (utilization: number) =>
      estimateCost(prod(), { ...DEFAULT_COST_ASSUMPTIONS, utilization })
        .routes.find((r) => r.deployment === "gpt-4o")
        ?.members.find((m) => m.basis === "ptu")?.monthlyUsd;
    // 50 PTU x 1.00 USD (Global provisioned) x 730 h.
    expect([ptu(0), ptu(1)]).toEqual([36500, 36500]);
  });

  it("adds the API Management base price, labelled API Management only", () => {
    const c = estimateCost(prod());
    expect([
      c.apiManagement.label,
      c.apiManagement.monthlyUsd,
      c.totalMonthlyUsd === (c.modelsMonthlyUsd ?? 0) + 1200,
    ]).toEqual(["API Management only (gateway base price; Azure OpenAI not included)", 1200, true]);
  });

  it("leaves a model without a price unknown and says so, instead of guessing", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].quotas = [
      { model: "gpt-4o-audio", sku: "GlobalStandard", location: "swedencentral", tpm: 100000 },
    ];
    raw.backends = [backend({ deployments: [deployment({ name: "audio", model: "gpt-4o-audio" })] })];
    // A model newer than the catalog file, added by the stack (issue #11's override).
    (raw as Record<string, unknown>).modelCatalog = [
      { model: "gpt-4o-audio", versions: ["2024-11-20"], skus: ["GlobalStandard"] },
    ];
    const c = estimateCost(buildTopology(validateConfig(raw)));
    expect([c.routes[0].monthlyUsd, c.totalMonthlyUsd, c.missing]).toEqual([
      null,
      null,
      ["aoai-hub-swedencentral-audio: no token price for gpt-4o-audio GlobalStandard"],
    ]);
  });
});

describe("aoai-gateway plan cost", () => {
  it("--json carries the estimate under cost with the default assumptions", async () => {
    const plan = JSON.parse((await cli("plan", "--stack", "dev", "--json")).out) as Plan;
    expect([plan.cost?.currency, plan.cost?.assumptions]).toEqual([
      "USD",
      { utilization: 0.5, inputShare: 0.75, cachedInputShare: 0, hoursPerMonth: 730 },
    ]);
  });

  it("takes the assumptions from --utilization, --input-share and --cached-input-share", async () => {
    const r = await cli(
      "plan",
      "--stack",
      "dev",
      "--json",
      "--utilization",
      "0.8",
      "--input-share",
      "0.5",
      "--cached-input-share",
      "0.2",
    );
    expect((JSON.parse(r.out) as Plan).cost?.assumptions).toEqual({
      utilization: 0.8,
      inputShare: 0.5,
      cachedInputShare: 0.2,
      hoursPerMonth: 730,
    });
  });

  it("prints a dated, labelled estimate section with its assumptions", async () => {
    const lines = (await cli("plan", "--stack", "dev")).out.split("\n");
    expect(
      [
        "Cost estimate (USD a month, list prices as of 2026-07-31, data file dated 2026-12-02; Estimate only: list prices in USD, no discounts, reservations, taxes or support; monthly = 730 hours)",
        "  assumptions: 50% of each route's usable TPM in use, 75% input / 25% output tokens, 0% of input cached (set with --utilization, --input-share, --cached-input-share)",
        "  API Management only (gateway base price; Azure OpenAI not included): $150.01 (BasicV2, 1 unit; 10 M requests included, extra $3.00 per million)",
      ].filter((l) => !lines.includes(l)),
    ).toEqual([]);
  });

  it("rejects a share outside 0..1 with exit code 2", async () => {
    const r = await cli("plan", "--stack", "dev", "--utilization", "1.5");
    expect([r.code, r.err]).toEqual([2, 'error: --utilization "1.5": allowed is a number from 0 to 1\n']);
  });
});
