/**
 * Issue #17: native spillover is shown, priced and simulated as part of its PTU member; team limits appear
 * in plan and diagram and simulate applies them per team; shown shares add up to 100. Pinned against
 * test/fixtures/spillover/ and test/fixtures/config-checks/.
 */
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { readStackConfig } from "../infra/config/load";
import { estimateCost } from "../infra/model/cost";
import { mermaidDiagram, svgDiagram } from "../infra/model/diagram";
import { createPlan, formatPlan, percentsAddingUp } from "../infra/model/plan";
import { sharesAddingUp } from "../infra/sim/report";
import { simulate } from "../infra/sim/simulate";
import { cli } from "./helpers/cli";

const SPILL = join(__dirname, "fixtures", "spillover", "ptu-spillover.yaml");
const LIMITS = join(__dirname, "fixtures", "config-checks", "token-limits.yaml");
const spill = () => loadTopology(SPILL);

describe("native spillover in plan", () => {
  it("is not a route of its own: one route, whose usable TPM counts the overflow deployment, and no warning", () => {
    const plan = createPlan(spill());
    expect([plan.routes.map((r) => r.deployment), plan.routes[0].usableTpm, plan.totalTpm, plan.warnings]).toEqual([
      ["gpt-4o"],
      375_000,
      375_000,
      [],
    ]);
  });

  it("is part of the PTU member in JSON", () => {
    expect(createPlan(spill()).routes[0].members.map((m) => m.spillover)).toEqual([
      {
        deployment: "gpt-4o-overflow",
        backendId: "aoai-hub-swedencentral-gpt-4o-overflow",
        sku: "GlobalStandard",
        capacity: 100,
        capacityTpm: 100_000,
        rpm: 600,
      },
      null,
    ]);
  });

  it("is a row under the PTU member in text", () => {
    const lines = formatPlan(createPlan(spill())).split("\n");
    const at = lines.indexOf(
      "  aoai-hub-swedencentral-gpt-4o               1         100     100%       100%      hub           swedencentral  GlobalProvisionedManaged  50 PTU    125,000  -",
    );
    expect(lines.slice(at, at + 2)).toEqual([
      "  aoai-hub-swedencentral-gpt-4o               1         100     100%       100%      hub           swedencentral  GlobalProvisionedManaged  50 PTU    125,000  -",
      "    + aoai-hub-swedencentral-gpt-4o-overflow                    overflow             hub           swedencentral  GlobalStandard            100K      100,000  600",
    ]);
  });

  it("is priced as the traffic above the PTUs, inside the PTU member's route", () => {
    const cost = estimateCost(spill());
    expect(
      cost.routes.map((r) => [r.deployment, r.members.map((m) => [m.backendId, m.tokensPerMonth, m.spilloverOf])]),
    ).toEqual([
      [
        "gpt-4o",
        [
          ["aoai-hub-swedencentral-gpt-4o", 5_475_000_000, null],
          ["aoai-hub-swedencentral-gpt-4o-overflow", 2_737_500_000, "aoai-hub-swedencentral-gpt-4o"],
          ["aoai-spoke-eastus2-gpt-4o", 0, null],
        ],
      ],
    ]);
  });

  it("is drawn inside the PTU member, with no route node of its own", () => {
    const mermaid = mermaidDiagram(createPlan(spill()));
    expect([
      mermaid.includes("+ spillover gpt-4o-overflow · GlobalStandard · 100K TPM"),
      mermaid.includes("route gpt-4o-overflow"),
    ]).toEqual([true, false]);
  });

  it("is drawn inside the PTU member in SVG too, with the team's limit on the clients box", () => {
    const svg = svgDiagram(createPlan(spill()));
    expect([
      svg.includes(">+ spillover gpt-4o-overflow · GlobalStandard · 100K TPM</text>"),
      svg.includes(">chat: 50,000 TPM</text>"),
      svg.includes("route gpt-4o-overflow"),
    ]).toEqual([true, true, false]);
  });

  it("stays an APIM backend in the program's backends output, marked as the PTU member's spillover", async () => {
    vi.resetModules();
    const { runProgramWithMocks } = await import("../infra/cli/mock-run.js");
    const r = await runProgramWithMocks({
      config: readStackConfig(SPILL),
      stack: "test",
      load: () => import("../infra/index.js"),
    });
    const rows = (r.outputs.backends as Record<string, unknown>[]).map((b) => [
      b.route,
      b.backendId,
      b.spilloverOf ?? null,
    ]);
    expect(rows).toEqual([
      ["gpt-4o", "aoai-hub-swedencentral-gpt-4o", null],
      ["gpt-4o-overflow", "aoai-hub-swedencentral-gpt-4o-overflow", "aoai-hub-swedencentral-gpt-4o"],
      ["gpt-4o", "aoai-spoke-eastus2-gpt-4o", null],
    ]);
  });
});

describe("native spillover in simulate", () => {
  const run = () => simulate(spill(), { load: { load: 1 }, durationSeconds: 300, seed: 1 });

  it("offers no traffic to the spillover deployment as a route, and reports it under the PTU member", () => {
    const r = run();
    expect([r.routes.map((x) => x.deployment), r.members.map((m) => m.backend)]).toEqual([
      ["gpt-4o"],
      ["aoai-hub-swedencentral-gpt-4o", "aoai-spoke-eastus2-gpt-4o"],
    ]);
  });

  it("loads the PTU member with what it served itself and the spillover with the overflow: neither above 100%", () => {
    const ptu = run().members[0];
    expect([ptu.servedTpm, ptu.load, ptu.spillover]).toEqual([
      116_800,
      0.9344,
      { backend: "aoai-hub-swedencentral-gpt-4o-overflow", quotaTpm: 100_000, servedTpm: 99_200, load: 0.992 },
    ]);
  });
});

describe("shown shares add up to 100", () => {
  it("rounds 37.5 / 62.5 to whole percents that add up to 100", () => {
    expect(percentsAddingUp([0.375, 0.625])).toEqual([38, 62]);
  });

  it("rounds three equal thirds to 34 / 33 / 33", () => {
    expect(percentsAddingUp([1, 1, 1])).toEqual([34, 33, 33]);
  });

  it("rounds the simulator's priority shares to tenths that add up to 100.0", () => {
    expect(sharesAddingUp([0.6246, 0.3754])).toEqual([62.5, 37.5]);
    expect(sharesAddingUp([1 / 3, 1 / 3, 1 / 3]).reduce((a, b) => a + b, 0)).toBeCloseTo(100, 9);
  });
});

describe("team limits in plan and diagram", () => {
  it("lists every team with its limits and where they come from in JSON", () => {
    expect(createPlan(loadTopology(LIMITS)).teams).toEqual([
      { name: "search", tokensPerMinute: 100, tokenQuota: null, tokenQuotaPeriod: null, limitFrom: "team" },
      { name: "chat", tokensPerMinute: 500_000, tokenQuota: 50, tokenQuotaPeriod: "Monthly", limitFrom: "team" },
      { name: "batch", tokensPerMinute: 50_000, tokenQuota: 10_000_000, tokenQuotaPeriod: "Daily", limitFrom: "team" },
      // no limit of its own: the default every caller gets (#18, security.limitEveryCaller)
      {
        name: "web",
        tokensPerMinute: 100_000,
        tokenQuota: null,
        tokenQuotaPeriod: null,
        limitFrom: "security.limitEveryCaller",
      },
    ]);
  });

  it("shows no limit for a team without its own when security.limitEveryCaller is off", () => {
    const plan = createPlan(loadTopology(LIMITS, (raw) => (raw.security = { limitEveryCaller: false })));
    expect(plan.teams[3]).toEqual({
      name: "web",
      tokensPerMinute: null,
      tokenQuota: null,
      tokenQuotaPeriod: null,
      limitFrom: "none",
    });
  });

  it("gives teams without own limits the stack-wide policies.tokenLimit when it is on", () => {
    const plan = createPlan(
      loadTopology(LIMITS, (raw) => (raw.policies = { tokenLimit: { enabled: true, tokensPerMinute: 20_000 } })),
    );
    expect(plan.teams[3]).toEqual({
      name: "web",
      tokensPerMinute: 20_000,
      tokenQuota: null,
      tokenQuotaPeriod: null,
      limitFrom: "policies.tokenLimit",
    });
  });

  it("prints a Teams table in text", () => {
    const text = formatPlan(createPlan(loadTopology(LIMITS)));
    expect(text.slice(text.indexOf("Teams ("), text.indexOf("\n\nQuota pools"))).toBe(
      [
        "Teams (one key each; limits count the team's tokens over all routes: over TPM 429, over quota 403):",
        "  team    tokens per minute  token quota       from",
        "  search  100                -                 own limit",
        "  chat    500,000            50 a month        own limit",
        "  batch   50,000             10,000,000 a day  own limit",
        "  web     100,000            -                 security.limitEveryCaller",
      ].join("\n"),
    );
  });

  it("draws the limits on the clients node", () => {
    expect(mermaidDiagram(createPlan(loadTopology(LIMITS))).split("\n")[1]).toBe(
      '  clients(["clients<br/>keys: search, chat, batch, web<br/>search: 100 TPM<br/>chat: 500,000 TPM · 50 tokens a month<br/>batch: 50,000 TPM · 10,000,000 tokens a day<br/>web: 100,000 TPM"])',
    );
  });
});

describe("simulate --team-share", () => {
  it("applies each team's limits and reports served and limited per team", async () => {
    const r = await cli(
      "simulate",
      "--config",
      SPILL,
      "--load",
      "1",
      "--duration",
      "5m",
      "--team-share",
      "chat=0.4",
      "--json",
    );
    const result = JSON.parse(r.out) as ReturnType<typeof simulate>;
    expect(
      result.teams.map((t) => [
        t.name,
        t.share,
        t.offeredRequests,
        t.servedRequests,
        t.limitedRequests,
        t.overQuotaRequests,
      ]),
    ).toEqual([
      ["chat", 0.4, 798, 250, 548, 0],
      ["(other callers)", 0.6, 1088, 1088, 0, 0],
    ]);
  });

  it("admits a team's requests while its minute's counter is under its TPM: 50 a minute at 1,000 tokens each, 5 minutes", async () => {
    const r = await cli(
      "simulate",
      "--config",
      SPILL,
      "--load",
      "1",
      "--duration",
      "5m",
      "--team-share",
      "chat=1",
      "--json",
    );
    const chat = (JSON.parse(r.out) as ReturnType<typeof simulate>).teams[0];
    expect([chat.servedRequests + chat.limitedRequests === chat.offeredRequests, chat.servedRequests <= 250]).toEqual([
      true,
      true,
    ]);
  });

  it("refuses a team the stack does not have, naming the ones it has", async () => {
    const r = await cli("simulate", "--config", SPILL, "--team-share", "nobody=0.5");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --team-share "nobody=0.5": no consumer named "nobody"; allowed: chat\n',
    ]);
  });

  it("refuses shares that add up to more than 1", async () => {
    const r = await cli("simulate", "--config", LIMITS, "--team-share", "search=0.6", "--team-share", "chat=0.5");
    expect([r.code, r.err]).toEqual([
      2,
      "error: --team-share: the shares add up to 1.1; allowed: at most 1 (the rest is traffic from callers without a named team)\n",
    ]);
  });

  it("refuses a share that is not a fraction", async () => {
    const r = await cli("simulate", "--config", LIMITS, "--team-share", "search=30");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --team-share "search=30": allowed is NAME=FRACTION, a consumer name and a fraction above 0 up to 1 (0.3 = 30% of the requests)\n',
    ]);
  });
});
