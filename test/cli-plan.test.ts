import type { Plan } from "../infra/model/plan";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackFile, stackNames } from "../infra/config/load";
import { cli } from "./helpers/cli";
import { exampleFile, stackFiles } from "./helpers/stacks";
import { backend, deployment, validRawConfig, writeStackFile, type RawConfigFixture } from "./helpers/config-fixtures";

const ROOT = resolve(__dirname, "..");

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackFileOf(name: string, raw: RawConfigFixture): string {
  return writeStackFile(dir, name, raw);
}

describe("aoai-gateway plan of the dev example (test/fixtures/examples)", () => {
  it("exits 0 and prints nothing on stderr", async () => {
    const r = await cli("plan", "--config", exampleFile("dev"));
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("prints each route, a member line, each quota pool and the total", async () => {
    const lines = (await cli("plan", "--config", exampleFile("dev"))).out.split("\n");
    expect(
      [
        "Route gpt-4o (model gpt-4o): 200,000 TPM usable over 2 members",
        "  aoai-dev-hub-swedencentral-gpt-4o  1         50      50%    50%       dev-hub       swedencentral  GlobalStandard  100K      100,000  600",
        "Route gpt-4o-mini (model gpt-4o-mini): 400,000 TPM usable over 2 members",
        "  dev-hub/swedencentral/gpt-4o/GlobalStandard       100,000 TPM  450,000 TPM    22%  default",
        "  dev-spoke/eastus2/gpt-4o-mini/GlobalStandard      200,000 TPM  2,000,000 TPM  10%  default",
        "Total usable throughput: 600,000 TPM",
      ].filter((l) => !lines.includes(l)),
    ).toEqual([]);
  });
});

// Issue #17: --stack on whatever stacks/ holds (an adopter's stack too); nothing here pins a value.
describe.each(stackFiles())("aoai-gateway plan --stack $name", ({ name, file }) => {
  it("reads stacks/Pulumi.NAME.yaml and names the stack in the consumer keys command", async () => {
    const [byName, byFile] = [await cli("plan", "--stack", name), await cli("plan", "--config", file)];
    expect([byName.code, byName.out]).toEqual([
      0,
      byFile.out.replaceAll("--show-secrets`", `--show-secrets --stack ${name}\``),
    ]);
  });

  it("reads the same stack with -s", async () => {
    expect((await cli("plan", "-s", name)).out).toBe((await cli("plan", "--stack", name)).out);
  });
});

describe("aoai-gateway plan --json", () => {
  it("prints one JSON object with the stack's total TPM", async () => {
    const r = await cli("plan", "--config", exampleFile("dev"), "--json");
    expect((JSON.parse(r.out) as Plan).totalTpm).toBe(600000);
  });

  it("prints the routes and quota pools in the JSON", async () => {
    const plan = JSON.parse((await cli("plan", "--config", exampleFile("prod"), "--json")).out) as Plan;
    expect({
      routes: plan.routes.map((r) => [r.deployment, r.members.length]),
      quotaPools: plan.quotaPools.length,
      warnings: plan.warnings,
    }).toEqual({
      routes: [
        ["gpt-4.1-mini", 4],
        ["gpt-4o", 4],
      ],
      quotaPools: 8,
      // issue #19: at plan's default 50% utilization prod passes two tenant-wide usage tiers.
      warnings: [
        "model gpt-4.1-mini: about 153.3 B tokens a month at 50% utilization pass its usage tier of 150 B tokens a month (tenant-wide, every subscription and region; infra/data/quota-defaults.json usageTiers): above it Standard-family latency may vary more; provisioned (PTU) deployments are exempt",
        "model gpt-4o: about 23.5 B tokens a month at 50% utilization pass its usage tier of 12 B tokens a month (tenant-wide, every subscription and region; infra/data/quota-defaults.json usageTiers): above it Standard-family latency may vary more; provisioned (PTU) deployments are exempt",
      ],
    });
  });

  it("carries the gateway URL, the v1 base URL and each route's endpoint", async () => {
    const plan = JSON.parse((await cli("plan", "--config", exampleFile("dev"), "--json")).out) as Plan;
    const url = plan.gateway.url;
    expect([url, plan.gateway.v1BaseUrl, plan.routes.map((r) => r.endpoint)]).toEqual([
      "https://contoso-ai-dev-3fdee8b8.azure-api.net",
      `${url}/openai/v1/`,
      [`${url}/openai/deployments/gpt-4o`, `${url}/openai/deployments/gpt-4o-mini`],
    ]);
  });

  it("reads any file in the stack format with --config", async () => {
    const r = await cli("plan", "--config", exampleFile("dev"), "--json");
    expect([r.code, (JSON.parse(r.out) as Plan).totalTpm]).toEqual([0, 600000]);
  });
});

describe("aoai-gateway plan with an invalid config", () => {
  const raw = validRawConfig();
  raw.gateway.sku = "Premium3";
  raw.backends[0].deployments[0].priority = 101;
  const file = stackFileOf("invalid", raw);

  it("exits 1", async () => {
    expect((await cli("plan", "--config", file)).code).toBe(1);
  });

  it("prints every problem on stderr and nothing on stdout", async () => {
    const r = await cli("plan", "--config", file);
    expect([r.out, r.err]).toEqual([
      "",
      "invalid stack config (2 problems):\n" +
        '  - aoai-gateway:gateway.sku: got "Premium3"; allowed: Consumption, Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2\n' +
        "  - aoai-gateway:backends[0].deployments[0].priority: got 101; allowed: an integer from 0 to 100\n",
    ]);
  });

  it("prints no stack trace", async () => {
    expect((await cli("plan", "--config", file)).err).not.toContain("    at ");
  });

  it("exits 1 with the overcommitted pool on stderr", async () => {
    const over = validRawConfig();
    over.backends.push(backend({ key: "2", deployments: [deployment({ capacity: 400 })] }));
    const r = await cli("plan", "--config", stackFileOf("overcommitted", over));
    expect([r.code, r.err]).toEqual([
      1,
      "invalid stack config (1 problem):\n" +
        "  - aoai-gateway:backends: quota pool hub/swedencentral/gpt-4o/GlobalStandard is overcommitted: 500,000 TPM allocated, quota 450,000 TPM (Default offer default); drawn by aoai-gateway:backends[0].deployments[0] (gpt-4o, 100,000 TPM), aoai-gateway:backends[1].deployments[0] (gpt-4o, 400,000 TPM). Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)\n",
    ]);
  });

  it("exits 1 and names a file that is not YAML", async () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "config: [\n");
    const r = await cli("plan", "--config", broken);
    expect([r.code, r.err.startsWith(`${broken} is not valid YAML: `)]).toEqual([1, true]);
  });
});

describe("aoai-gateway plan usage errors", () => {
  it("rejects --stack and --config together with exit code 2", async () => {
    const r = await cli("plan", "--stack", "dev", "--config", exampleFile("dev"));
    expect([r.code, r.out, r.err]).toEqual([
      2,
      "",
      "error: option '-s, --stack <name>' cannot be used with option '-c, --config <file>'\n",
    ]);
  });

  it("asks for --stack or --config when neither is given", async () => {
    const r = await cli("plan");
    expect([r.code, r.err]).toEqual([2, "error: give --stack NAME (reads stacks/Pulumi.NAME.yaml) or --config FILE\n"]);
  });

  it("exits 1 for a stack without a file and lists the stacks there are", async () => {
    const r = await cli("plan", "--stack", "no-such-stack");
    expect([r.code, r.err]).toEqual([
      1,
      `no stack named "no-such-stack": ${stackFile("no-such-stack")} does not exist (stacks: ${stackNames().join(", ")})\n`,
    ]);
  });

  it("exits 1 for a --config file that does not exist", async () => {
    const missing = join(dir, "missing.yaml");
    const r = await cli("plan", "--config", missing);
    expect([r.code, r.err]).toEqual([1, `cannot read stack config ${missing}: no such file\n`]);
  });
});

describe("the installed bin", () => {
  it("runs `node bin/aoai-gateway.cjs plan --config <dev example> --json` from any folder, exits 0 and prints the plan", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "aoai-gateway.cjs"), "plan", "--config", exampleFile("dev"), "--json"],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    expect({ status: r.status, stderr: r.stderr, totalTpm: (JSON.parse(r.stdout) as Plan).totalTpm }).toEqual({
      status: 0,
      stderr: "",
      totalTpm: 600000,
    });
  });
});
