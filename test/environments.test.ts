/**
 * Environments (issue #11): every stack file in stacks/ is validated, planned,
 * rendered and run under mocks, whatever its name, and the workflows take the
 * environments they deploy from one list.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackConfig, stackFile, stackNames } from "../infra/config/load";
import { stackKeyProblems } from "../infra/config/validate";
import { cli } from "./helpers/cli";
import { T, ofType, runStack, stackConfig } from "./helpers/program";

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

describe("the example stacks", () => {
  it("are at least three, so a test pinning two would have failed", () => {
    expect(stackNames().length).toBeGreaterThanOrEqual(3);
  });
});

describe.each(stackNames())("stack %s", (stack) => {
  it("has only keys something reads", () => {
    expect(stackKeyProblems(Object.keys(readStackConfig(stackFile(stack))))).toEqual([]);
  });

  it("plans offline with exit code 0", async () => {
    const r = await cli("plan", "--stack", stack);
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("renders its policies with exit code 0", async () => {
    const r = await cli("render", "--stack", stack, "--out", join(dir, stack));
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("runs the program under mocks with one account per backend entry", async () => {
    const result = await runStack(stackConfig(stack));
    expect(ofType(result, T.account).length).toBe((stackConfig(stack)["aoai-gateway:backends"] as unknown[]).length);
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
