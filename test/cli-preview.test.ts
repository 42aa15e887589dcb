/**
 * Issue #3: `aoai-gateway preview` runs the real program under mocks and
 * lists every resource, grouped by subscription and region.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../infra/cli/main";
import type { RecordedResource } from "../infra/cli/mock-run";
import { stackNameOf } from "../infra/cli/preview";
import { type ExampleName, exampleFile } from "./helpers/stacks";

const ROOT = join(__dirname, "..");

/** The CLI in a child process: `preview` runs the Pulumi program, which must run once per process. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "aoai-gateway.cjs"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("aoai-gateway preview --json", () => {
  const r = cli("preview", "--config", exampleFile("prod"), "--json");
  const { resources } = JSON.parse(r.out) as { resources: RecordedResource[] };

  it("exits 0 with nothing on stderr", () => {
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("lists the accounts of every subscription and region in prod, each under its own provider", () => {
    expect(
      resources
        .filter((x) => x.type === "azure-native:cognitiveservices:Account")
        .map((x) => [x.inputs.location, x.provider]),
    ).toEqual([
      ["swedencentral", "azure-prod-hub"],
      ["eastus2", "azure-prod-east"],
      ["westus3", "azure-prod-west"],
      ["francecentral", "azure-prod-eu"],
    ]);
  });

  it("lists all 8 prod deployments, each under its account's provider", () => {
    const deployments = resources.filter((x) => x.type === "azure-native:cognitiveservices:Deployment");
    expect(deployments.map((d) => d.provider).sort()).toEqual([
      "azure-prod-east",
      "azure-prod-east",
      "azure-prod-eu",
      "azure-prod-eu",
      "azure-prod-hub",
      "azure-prod-hub",
      "azure-prod-west",
      "azure-prod-west",
    ]);
  });

  it("includes the provider resources with their inputs", () => {
    expect(resources.find((x) => x.name === "azure-prod-eu")).toEqual({
      type: "pulumi:providers:azure-native",
      name: "azure-prod-eu",
      provider: null,
      parent: null,
      dependsOn: [],
      inputs: { environment: "public", subscriptionId: "00000000-0000-0000-0000-0000000a0004" },
      custom: true,
      options: {},
    });
  });

  it("records parents and explicit dependencies by logical name", () => {
    const d = resources.find((x) => x.name === "fleet-prod-eu-francecentral-gpt-4o");
    expect([d?.parent, d?.dependsOn]).toEqual([
      "fleet-prod-eu-francecentral",
      ["fleet-prod-eu-francecentral-gpt-4.1-mini"],
    ]);
  });

  // The operator subscription (#21) and the response seal key (#18: a RandomPassword, no Azure resource, and its named value).
  it("registers 102 resources for prod: 85 Azure resources (16 of them monitoring), 4 providers and 12 components", () => {
    expect([
      resources.length,
      resources.filter((x) => x.type.startsWith("azure-native:")).length,
      resources.filter((x) => x.type.startsWith("pulumi:providers:")).length,
      resources.filter((x) => !x.custom).length,
    ]).toEqual([102, 85, 4, 12]);
  });
});

describe("aoai-gateway preview --json shows monitoring (issue #12)", () => {
  const monitoringTypes = (stack: ExampleName) => {
    const r = cli("preview", "--config", exampleFile(stack), "--json");
    const { resources } = JSON.parse(r.out) as { resources: RecordedResource[] };
    const counts = new Map<string, number>();
    for (const x of resources) {
      if (
        /:(operationalinsights|applicationinsights|monitor):|:apimanagement:(Logger|ApiDiagnostic|NamedValue)$/.test(
          x.type,
        ) &&
        !x.name.endsWith("-response-seal-key")
      ) {
        counts.set(x.type, (counts.get(x.type) ?? 0) + 1);
      }
    }
    return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  };
  const expected = (metricAlerts: number) => ({
    "azure-native:apimanagement:ApiDiagnostic": 1,
    "azure-native:apimanagement:Logger": 1,
    "azure-native:apimanagement:NamedValue": 1,
    "azure-native:applicationinsights:Component": 1,
    "azure-native:applicationinsights:Workbook": 1,
    "azure-native:monitor:ActionGroup": 1,
    "azure-native:monitor:DiagnosticSetting": 1,
    "azure-native:monitor:MetricAlert": metricAlerts,
    "azure-native:monitor:ScheduledQueryRule": 3,
    "azure-native:operationalinsights:Workspace": 1,
  });

  it("lists the monitoring resources and alerts of dev (one member-429 alert per account: 2)", () => {
    expect(monitoringTypes("dev")).toEqual(expected(2));
  });

  it("lists the monitoring resources and alerts of prod (4 accounts)", () => {
    expect(monitoringTypes("prod")).toEqual(expected(4));
  });
});

describe("aoai-gateway preview (text)", () => {
  const r = cli("preview", "--config", exampleFile("dev"));

  it("groups resources by subscription and then by region", () => {
    const lines = r.out.split("\n");
    expect(lines.filter((l) => /^\S/.test(l) || /^ {2}\S/.test(l))).toEqual([
      "Subscription 00000000-0000-0000-0000-00000000d001 (provider azure-dev-hub): 62 resources",
      "  global (4)",
      "  swedencentral (58)",
      "Subscription 00000000-0000-0000-0000-00000000d002 (provider azure-dev-spoke): 6 resources",
      "  eastus2 (5)",
      "  global (1)",
      // the response seal key's RandomPassword (#18): not an Azure resource, Pulumi's default random provider
      "Without an explicit provider (1):",
      "69 resources under 2 providers, in 10 components.",
    ]);
  });

  it("shows each resource's Azure name beside Pulumi's: account, APIM service and backend", () => {
    const line = (name: string) =>
      r.out
        .split("\n")
        .find((l) => l.split(/\s+/)[2] === name)
        ?.split(/\s+/)
        .slice(2);
    expect([line("fleet-dev-hub-swedencentral"), line("gateway"), line("backends-pool-gpt-4o")]).toEqual([
      ["fleet-dev-hub-swedencentral", "azure:", "contoso-ai-dev-dev-hub-swedencentral-60af58b8"],
      ["gateway", "azure:", "contoso-ai-dev-3fdee8b8"],
      ["backends-pool-gpt-4o", "azure:", "pool-gpt-4o"],
    ]);
  });

  it("lists a role assignment under the region of the account it grants", () => {
    const spoke = r.out.slice(r.out.indexOf("  eastus2"));
    expect(spoke).toContain("    azure-native:authorization:RoleAssignment  access-dev-spoke-eastus2");
  });
});

describe("aoai-gateway preview with an invalid config", () => {
  it("exits 1 with the validation message and registers nothing", async () => {
    let out = "";
    let err = "";
    const code = await run(["preview", "--config", join(ROOT, "test", "fixtures", "invalid-priority.yaml")], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    expect({ code, out, err }).toEqual({
      code: 1,
      out: "",
      err:
        "invalid stack config (1 problem):\n" +
        "  - aoai-gateway:backends[0].deployments[0].priority: got 101; allowed: an integer from 0 to 100\n",
    });
  });
});

describe("stackNameOf", () => {
  it("takes the stack name from a Pulumi.<name>.yaml file name", () => {
    expect([stackNameOf("/x/stacks/Pulumi.prod.yaml"), stackNameOf("custom.yaml")]).toEqual(["prod", "preview"]);
  });
});
