/**
 * `aoai-gateway smoke` and `aoai-gateway load` (issue #21) against `apim-emulate --serve` running the
 * fixture stack's own rendered policy (test/fixtures/smoke/Pulumi.smoke.yaml), with the emulator's GATEWAY.json
 * from the real program under mocks (so the operator subscription and its key `key-aoai-gateway-operator` are
 * the ones `up` creates). Each server stops in afterAll; --max-seconds is the backstop.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../infra/cli/main";
import { chatRoutes, loadRates, planArrivals } from "../../infra/cli/load-run";
import {
  EMULATOR_TEST_TIMEOUT_MS,
  type Served,
  type UpstreamResponse,
  consumerKey,
  emulatorSkipReason,
  gatewayFor,
  operatorKey,
  renderFor,
  serve,
  upstreamsFor,
} from "./harness";

const FIXTURE = join(__dirname, "..", "fixtures", "smoke", "Pulumi.smoke.yaml");

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** Serve the fixture in one routing mode, with scripted answers per member backend id and optional limiters. */
async function served(
  mode: "pool" | "policy",
  scripts: Record<string, readonly UpstreamResponse[]> = {},
  limiters = false,
): Promise<{ server: Served; teamKey: string }> {
  const { topology, apiPolicy } = renderFor(FIXTURE, mode);
  const gateway = await gatewayFor(FIXTURE, mode);
  const server = await serve({
    policy: apiPolicy,
    gateway: gateway.file,
    scenario: { start: "2026-01-05T12:00:00Z", upstreams: upstreamsFor(topology, { scripts, limiters }), requests: [] },
    maxSeconds: 150,
  });
  return { server, teamKey: consumerKey(gateway.gateway) };
}

const skip = emulatorSkipReason() !== null;
const UNAUTHORIZED: UpstreamResponse = {
  status: 401,
  body: { error: { code: "PermissionDenied", message: "The principal lacks the required data action" } },
};

describe.skipIf(skip)("aoai-gateway smoke against the served gateway", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const mode of ["pool", "policy"] as const) {
    describe(`${mode} mode`, () => {
      let healthy: Served | undefined;
      let broken: Served | undefined;
      const { topology } = renderFor(FIXTURE, mode);
      const members = topology.routes.flatMap((r) => r.members.map((m) => m.backendId));
      // The last member of the last route: a member a route-level call would reach only some of the time.
      const failing = members[members.length - 1];

      beforeAll(async () => {
        healthy = (await served(mode)).server;
        broken = (await served(mode, { [failing]: [UNAUTHORIZED] })).server;
      }, EMULATOR_TEST_TIMEOUT_MS);
      afterAll(async () => {
        await healthy?.stop();
        await broken?.stop();
      });

      it("passes a healthy stack: exit 0 and one ok line per member, by backend id", async () => {
        const r = await cli("smoke", "--config", FIXTURE, "--url", healthy?.url ?? "", "--key", operatorKey());
        expect(r.code).toBe(0);
        const memberLines = r.out.split("\n").filter((l) => / member /.test(l));
        expect(memberLines.map((l) => / member (\S+)/.exec(l)?.[1])).toEqual(members);
        expect(memberLines.every((l) => l.startsWith("ok  "))).toBe(true);
        expect(r.out).toContain(`${members.length} of ${members.length} members ok`);
      });

      it("calls every route on the classic and the v1 path and creates a response on v1", async () => {
        const r = await cli(
          "smoke",
          "--config",
          FIXTURE,
          "--url",
          healthy?.url ?? "",
          "--key",
          operatorKey(),
          "--json",
        );
        const calls = (
          JSON.parse(r.out) as {
            calls: { kind: string; route: string; path: string; operation: string; status: number }[];
          }
        ).calls;
        expect(
          calls.filter((c) => c.kind === "route").map((c) => `${c.route} ${c.path} ${c.operation} ${c.status}`),
        ).toEqual(
          topology.routes.flatMap((route) => [
            `${route.name} classic chat 200`,
            `${route.name} v1 chat 200`,
            `${route.name} v1 responses 200`,
          ]),
        );
      });

      it("names the one member that answers 401, with the role-assignment advice, and exits 1", async () => {
        const r = await cli("smoke", "--config", FIXTURE, "--url", broken?.url ?? "", "--key", operatorKey());
        expect(r.code).toBe(1);
        const failed = r.out.split("\n").filter((l) => l.startsWith("FAIL") && / member /.test(l));
        expect(failed.map((l) => / member (\S+)/.exec(l)?.[1])).toEqual([failing]);
        expect(failed[0]).toContain(": 401,");
        // A route-level call that the route happened to send to that member fails too; only one member does.
        expect(r.err.split("\n").filter((l) => l.startsWith("smoke: member "))).toHaveLength(1);
        expect(r.err).toContain(`smoke: member ${failing} (`);
        expect(r.err).toContain('"Cognitive Services OpenAI User"');
      });
    });
  }
});

describe.skipIf(skip)("aoai-gateway load against the served gateway", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  let server: Served | undefined;
  let teamKey = "";
  beforeAll(async () => {
    ({ server, teamKey } = await served("policy", {}, true));
  }, EMULATOR_TEST_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  it("reports requests, served, status429, status5xx and latency percentiles, with the simulate prediction beside", async () => {
    const r = await cli(
      "load",
      "--config",
      FIXTURE,
      "--url",
      server?.url ?? "",
      "--key",
      teamKey,
      "--load",
      "0.9",
      "--duration",
      "10s",
      "--json",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Record<string, unknown> & {
      requests: number;
      served: number;
      status429: number;
      status5xx: number;
      statusOther: number;
      errors: number;
      latencyMs: Record<string, number>;
      prediction: { requests: number; served: number };
    };
    const { topology } = renderFor(FIXTURE, "policy");
    const planned = planArrivals(topology, loadRates(topology, { load: 0.9 }, 1000), 10, "poisson", 1);
    expect(chatRoutes(topology)).toHaveLength(topology.routes.length);
    expect(report.requests).toBe(planned.length);
    expect(report.served + report.status429 + report.status5xx + report.statusOther + report.errors).toBe(
      report.requests,
    );
    expect([report.statusOther, report.errors]).toEqual([0, 0]);
    expect(report.served / report.requests).toBeGreaterThanOrEqual(0.95);
    expect(Object.keys(report.latencyMs)).toEqual(["p50", "p90", "p99", "max"]);
    expect(report.prediction.requests).toBe(planned.length);
  });

  it("refuses a duration over 10 minutes before sending anything", async () => {
    const r = await cli(
      "load",
      "--config",
      FIXTURE,
      "--url",
      server?.url ?? "",
      "--key",
      teamKey,
      "--rpm",
      "60",
      "--duration",
      "11m",
    );
    expect([r.code, r.err.trim()]).toEqual([
      2,
      'error: --duration "11m": allowed is at most 10m (a load run is a bounded check; run it again for more)',
    ]);
  });
});
