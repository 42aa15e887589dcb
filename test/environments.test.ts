/**
 * Environments (issue #11): every stack file in stacks/ is validated, planned,
 * rendered and run under mocks, whatever its name, and the workflows take the
 * environments they deploy from one list. Issue #17: the checks on stacks/ hold
 * for any stack file (an adopter's own); pinned values live in test/fixtures/examples.
 */
import { regionalPriorities } from "../infra/model/gateway-regions";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadTopology } from "../infra/cli/common";
import type { MockRunResult } from "../infra/cli/mock-run";
import { readStackConfig, stackFile } from "../infra/config/load";
import { stackKeyProblems } from "../infra/config/validate";
import { cli } from "./helpers/cli";
import { T, ofType, runStack } from "./helpers/program";
import { EXAMPLES_DIR, stackFiles, stackFilesIn } from "./helpers/stacks";

const ROOT = resolve(__dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-envs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const environments = (
  JSON.parse(readFileSync(join(ROOT, ".github", "environments.json"), "utf8")) as { deploy: string[] }
).deploy;

interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  steps?: { uses?: string; with?: Record<string, unknown> }[];
  strategy?: { matrix?: Record<string, unknown> };
}

function workflow(name: string): { jobs: Record<string, Job> } {
  return parse(readFileSync(join(ROOT, ".github", "workflows", name), "utf8")) as { jobs: Record<string, Job> };
}

describe("the stacks/ folder", () => {
  it("holds at least one stack file", () => {
    expect(stackFiles().length).toBeGreaterThanOrEqual(1);
  });
});

describe("the shipped examples the pinned tests use (test/fixtures/examples)", () => {
  it("are dev, prod and staging", () => {
    expect(stackFilesIn(EXAMPLES_DIR).map((s) => s.name)).toEqual(["dev", "prod", "staging"]);
  });
});

// Issue #17: what holds for ANY stack file in stacks/ (an adopter's too); nothing here pins a value of one.
describe.each(stackFiles())("stack $name", ({ name, file }) => {
  const config = () => readStackConfig(file);
  const topology = () => loadTopology(file);
  let mocked: MockRunResult;
  beforeAll(async () => {
    mocked = await runStack(config());
  });

  it("has only keys something reads", () => {
    expect(stackKeyProblems(Object.keys(config()))).toEqual([]);
  });

  it("plans offline with exit code 0", async () => {
    const r = await cli("plan", "--config", file);
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("renders its policies with exit code 0", async () => {
    const r = await cli("render", "--config", file, "--out", join(dir, name));
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("runs the program under mocks with one account per backend entry", () => {
    expect(ofType(mocked, T.account).length).toBe((config()["aoai-gateway:backends"] as unknown[]).length);
  });

  it("runs the program under mocks with one deployment per route member", () => {
    expect(ofType(mocked, T.deployment).length).toBe(topology().routes.reduce((n, r) => n + r.members.length, 0));
  });

  it("grants every gateway identity a role on every account, one assignment each", () => {
    // One gateway service, or one per region behind a Front Door (#22), each with its own identity.
    const t = topology();
    const gateways = t.gateway.frontDoor ? t.gateway.regions.length : 1;
    const perAccount = new Map<string, number>();
    for (const r of ofType(mocked, T.role)) {
      const key = t.accounts.find((a) => r.name.endsWith(`access-${a.key}`))?.key ?? r.name;
      perAccount.set(key, (perAccount.get(key) ?? 0) + 1);
    }
    expect([...perAccount.entries()].sort()).toEqual(t.accounts.map((a) => [a.key, gateways]).sort());
  });

  it("gives every route in pool mode a pool listing exactly its members, with their priorities and weights", () => {
    const t = topology();
    const pools = t.routes.map((route) => {
      const pool = ofType(mocked, T.backend).find((b) => b.name === `backends-pool-${route.name}`);
      const services = (pool?.inputs.pool as { services?: { id: string; priority: number; weight: number }[] })
        ?.services;
      return services?.map((m) => [m.id.split("/backends/").pop(), m.priority, m.weight]);
    });
    // The primary region's pool: priorities as its locality orders them inside each group (#22).
    expect(pools).toEqual(
      t.routes.map((route) => {
        const p = regionalPriorities(route.members, t.gateway.location, route.locality);
        return t.routingMode === "pool"
          ? route.members.map((m, i) => [m.backendId, route.locality === "off" ? m.priority : p[i], m.weight])
          : undefined;
      }),
    );
  });
});

describe("the environments the workflows deploy", () => {
  it("each have a stack file", () => {
    expect(environments.filter((env) => !existsSync(stackFile(env)))).toEqual([]);
  });

  it("come from .github/environments.json in every job that runs Pulumi", () => {
    const calls = ["deploy.yml", "pull-request.yml"].flatMap((file) =>
      Object.entries(workflow(file).jobs)
        .filter(([, job]) => job.uses === "./.github/workflows/pulumi.yml")
        .map(([name, job]) => [`${file}:${name}`, job.with?.stack, job.strategy?.matrix?.stack]),
    );
    expect(calls).toEqual([
      ["deploy.yml:preview", "${{ matrix.stack }}", "${{ fromJSON(needs.environments.outputs.deploy) }}"],
      ["deploy.yml:up", "${{ matrix.stack }}", "${{ fromJSON(needs.environments.outputs.deploy) }}"],
      ["pull-request.yml:preview", "${{ matrix.stack }}", "${{ fromJSON(needs.environments.outputs.deploy) }}"],
    ]);
  });
});

describe("Node versions", () => {
  function setupNode(file: string): unknown[] {
    return Object.values(workflow(file).jobs).flatMap((job) =>
      (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/setup-node@")).map((s) => s.with?.["node-version"]),
    );
  }

  it("deploys with Node 24, the active LTS", () => {
    expect(setupNode("pulumi.yml")).toEqual([24]);
  });

  it("checks on Node 24 and on Node 20, the floor package.json still allows", () => {
    const matrix = workflow("checks.yml").jobs.checks.strategy?.matrix?.node;
    const engines = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } })
      .engines;
    expect([setupNode("checks.yml"), matrix, engines.node]).toEqual([["${{ matrix.node }}"], [24, 20], ">=20"]);
  });
});
