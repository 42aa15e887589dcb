/** `aoai-gateway simulate` through the CLI (issue #13). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { stackNames } from "../infra/config/load";
import type { SimulationResult } from "../infra/sim/simulate";
import type { ComparedRun } from "../infra/sim/report";
import { cli } from "./helpers/cli";
import { exampleFile } from "./helpers/stacks";
import { backend, deployment, validRawConfig, writeStackFile, type RawConfigFixture } from "./helpers/config-fixtures";

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackFileOf(name: string, raw: RawConfigFixture): string {
  return writeStackFile(dir, name, raw);
}

async function simulateJson(...args: string[]): Promise<SimulationResult> {
  const r = await cli("simulate", ...args, "--json");
  expect([r.code, r.err]).toEqual([0, ""]);
  return JSON.parse(r.out) as SimulationResult;
}

describe("aoai-gateway simulate on every stack", () => {
  for (const name of stackNames()) {
    it(`${name}: exits 0 and prints the offered, served and error lines`, async () => {
      const r = await cli("simulate", "--stack", name, "--duration", "2m");
      const lines = r.out.split("\n");
      expect([
        r.code,
        r.err,
        lines.some((l) => l.startsWith("Offered: ")),
        lines.some((l) => l.startsWith("Served:  ")),
        lines.some((l) => l.startsWith("Client errors: ")),
        lines.some((l) => l.startsWith("Retries per request (extra upstream calls): p50 ")),
      ]).toEqual([0, "", true, true, true, true]);
    });

    it(`${name}: --json carries the totals, one entry per route and one per member of the plan`, async () => {
      const r = await simulateJson("--stack", name, "--duration", "2m");
      const plan = JSON.parse((await cli("plan", "--stack", name, "--json")).out) as {
        totalTpm: number;
        routes: { deployment: string; members: { backendId: string }[] }[];
      };
      expect({
        totalTpm: r.totalTpm,
        routes: r.routes.map((x) => x.deployment),
        members: r.members.map((m) => [m.route, m.backend]),
        counted: r.servedRequests + r.client429Requests + r.client5xxRequests === r.offeredRequests,
        routeSums: r.routes.reduce((s, x) => s + x.offeredRequests, 0) === r.offeredRequests,
      }).toEqual({
        totalTpm: plan.totalTpm,
        routes: plan.routes.map((x) => x.deployment),
        members: plan.routes.flatMap((x) => x.members.map((m) => [x.deployment, m.backendId])),
        counted: true,
        routeSums: true,
      });
    });
  }
});

describe("aoai-gateway simulate --json", () => {
  it("carries the figures the issue names", async () => {
    const r = await simulateJson("--config", exampleFile("dev"), "--duration", "1m");
    expect({
      top: ["offeredRequests", "servedRequests", "client429Requests", "client5xxRequests", "servedTpm", "totalTpm"].map(
        (k) => typeof (r as unknown as Record<string, unknown>)[k],
      ),
      route: Object.keys(r.routes[0]).filter((k) => ["deployment", "offeredRequests", "servedRequests"].includes(k)),
      member: Object.keys(r.members[0]).filter((k) =>
        ["backend", "route", "requests", "throttledResponses"].includes(k),
      ),
    }).toEqual({
      top: ["number", "number", "number", "number", "number", "number"],
      route: ["deployment", "offeredRequests", "servedRequests"],
      member: ["backend", "route", "requests", "throttledResponses"],
    });
  });

  it("prints the same JSON twice for the same seed", async () => {
    const a = await cli("simulate", "--config", exampleFile("prod"), "--load", "1.2", "--seed", "42", "--json");
    const b = await cli("simulate", "--config", exampleFile("prod"), "--load", "1.2", "--seed", "42", "--json");
    expect(a.out).toBe(b.out);
  });

  it("offers --rpm requests per minute in all", async () => {
    const r = await simulateJson("--config", exampleFile("dev"), "--rpm", "600", "--duration", "10m");
    expect(Math.abs(r.offeredRequests / 6000 - 1) < 0.05).toBe(true);
  });

  it("reads any file in the stack format with --config", async () => {
    const raw = validRawConfig();
    raw.backends.push(
      backend({ subscription: "spoke", location: "eastus2", deployments: [deployment({ priority: 2 })] }),
    );
    const r = await simulateJson("--config", stackFileOf("two-members", raw), "--duration", "1m");
    expect([r.totalTpm, r.members.map((m) => m.backend)]).toEqual([
      200000,
      ["aoai-hub-swedencentral-gpt-4o", "aoai-spoke-eastus2-gpt-4o"],
    ]);
  });
});

describe("aoai-gateway simulate --chart", () => {
  it("writes a well-formed SVG with axis titles and a legend", async () => {
    const file = join(dir, "chart.svg");
    const r = await cli("simulate", "--config", exampleFile("dev"), "--duration", "2m", "--chart", file);
    const svg = existsSync(file) ? readFileSync(file, "utf8") : "";
    expect([
      r.code,
      XMLValidator.validate(svg),
      [
        "simulated time (minutes:seconds)",
        "tokens per minute",
        "client errors per minute",
        ">offered TPM<",
        ">served TPM<",
        ">plan usable TPM<",
        ">client 429 per minute (right axis)<",
      ].filter((t) => !svg.includes(t)),
    ]).toEqual([0, true, []]);
  });

  it("docs/img/simulate-prod.svg is what the command in docs/simulate.md writes today", async () => {
    const file = join(dir, "docs-chart.svg");
    await cli("simulate", "--config", exampleFile("prod"), "--profile", "ramp", "--load", "0.75", "--chart", file);
    expect(readFileSync(file, "utf8")).toBe(
      readFileSync(join(__dirname, "..", "docs", "img", "simulate-prod.svg"), "utf8"),
    );
  });
});

describe("aoai-gateway simulate --compare", () => {
  it("runs the same load once per value and prints a JSON array", async () => {
    const r = await cli(
      "simulate",
      "--config",
      exampleFile("dev"),
      "--duration",
      "2m",
      "--compare",
      "routing.mode=pool,policy",
      "--json",
    );
    const runs = JSON.parse(r.out) as ComparedRun[];
    expect(
      runs.map((c) => [
        c.setting,
        c.value,
        c.result.routingMode,
        c.result.offeredRequests === runs[0].result.offeredRequests,
      ]),
    ).toEqual([
      ["routing.mode", "pool", "pool", true],
      ["routing.mode", "policy", "policy", true],
    ]);
  });

  it("prints the settings side by side", async () => {
    const r = await cli(
      "simulate",
      "--config",
      exampleFile("prod"),
      "--duration",
      "2m",
      "--compare",
      "circuitBreaker.tripDuration=PT10S,PT1M",
    );
    const lines = r.out.split("\n");
    expect([r.code, lines[1].split(/\s+/).filter(Boolean)]).toEqual([
      0,
      ["circuitBreaker.tripDuration", "PT10S", "PT1M"],
    ]);
  });

  it("with --chart writes one chart per value, named after it", async () => {
    const file = join(dir, "cmp.svg");
    const r = await cli(
      "simulate",
      "--config",
      exampleFile("dev"),
      "--duration",
      "1m",
      "--compare",
      "routing.mode=pool,policy",
      "--chart",
      file,
    );
    expect([r.code, existsSync(join(dir, "cmp-pool.svg")), existsSync(join(dir, "cmp-policy.svg"))]).toEqual([
      0,
      true,
      true,
    ]);
  });

  it("validates each value like stack config", async () => {
    const r = await cli("simulate", "--config", exampleFile("dev"), "--compare", "circuitBreaker.tripDuration=10s");
    expect([r.code, r.err]).toEqual([
      1,
      "invalid stack config (1 problem):\n" +
        '  - aoai-gateway:circuitBreaker.tripDuration: got "10s"; allowed: an ISO 8601 duration in hours, minutes and seconds, e.g. PT30S, PT1M, PT1H\n',
    ]);
  });

  it("rejects a spec without values with exit code 2", async () => {
    const r = await cli("simulate", "--config", exampleFile("dev"), "--compare", "routing.mode");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --compare "routing.mode": expected KEY=V1,V2 (for example circuitBreaker.tripDuration=PT10S,PT1M or routing.mode=pool,policy)\n',
    ]);
  });
});

describe("aoai-gateway simulate usage errors", () => {
  it("rejects --load and --rpm together", async () => {
    const r = await cli("simulate", "--config", exampleFile("dev"), "--load", "0.5", "--rpm", "10");
    expect([r.code, r.err]).toEqual([2, "error: option '--load <fraction>' cannot be used with option '--rpm <n>'\n"]);
  });

  it("rejects a duration it cannot read", async () => {
    const r = await cli("simulate", "--config", exampleFile("dev"), "--duration", "ten minutes");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --duration "ten minutes": allowed is a duration such as 90s, 10m or 1h (up to 24h)\n',
    ]);
  });

  it("rejects a load that is not a positive number", async () => {
    const r = await cli("simulate", "--config", exampleFile("dev"), "--load", "-1");
    expect([r.code, r.err]).toEqual([2, 'error: --load "-1": allowed is a positive number\n']);
  });
});
