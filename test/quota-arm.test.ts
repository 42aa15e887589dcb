/**
 * `aoai-gateway quota`, `capacity` and `catalog refresh` against a local HTTPS stand-in for Azure Resource
 * Manager (issue #19; test/helpers/arm-standin.ts): the real bin as a child process, the real credential
 * (AzureCliCredential through a stand-in `az`) and the real ARM client. Nothing leaves 127.0.0.1.
 * Pinned values belong to test/fixtures/quota/Pulumi.enterprise.yaml.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadTopology } from "../infra/cli/common";
import {
  type ArmStandIn,
  armError,
  deploymentEntry,
  model,
  ok,
  paths,
  startArmStandIn,
  usage,
} from "./helpers/arm-standin";

// Each case starts the real bin (tsx compiles the CLI, @azure/identity runs the stand-in az): seconds each,
// more while the rest of the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 120_000 });

const FIXTURE = "test/fixtures/quota/Pulumi.enterprise.yaml";
const HUB = "00000000-0000-0000-0000-0000000e0001";
const SPOKE = "00000000-0000-0000-0000-0000000e0002";
const [hubAccount, spokeAccount] = loadTopology(FIXTURE).accounts;

interface QuotaJson {
  armEndpoint: string;
  pools: {
    subscription: string;
    location: string;
    model: string;
    sku: string;
    unit: string;
    limit: number | null;
    used: number | null;
    stackExisting: number;
    stackAllocated: number;
    available: number | null;
  }[];
  problems: string[];
  failures: string[];
}

/** Both regions answer; hub already runs the stack's embeddings deployment (200 units of its pool's 200 used). */
function scriptHappy(s: ArmStandIn): void {
  s.script(
    paths.usages(HUB, "swedencentral"),
    ok({
      value: [usage("OpenAI.GlobalStandard.gpt-4o", 100, 30000)],
      nextLink: `{{base}}${paths.usages(HUB, "swedencentral")}?api-version=2025-09-01&page=2`,
    }),
  );
  s.script(
    `${paths.usages(HUB, "swedencentral")}?page=2`,
    ok({
      value: [
        usage("OpenAI.DataZoneStandard.gpt-4.1-mini", 0, 50000),
        usage("OpenAI.Standard.text-embedding-3-large", 200, 350),
        usage("OpenAI.Standard.whisper", 0, 3),
        usage("OpenAI.Standard.dall-e-3", 0, 2),
      ],
    }),
  );
  s.script(
    paths.models(HUB, "swedencentral"),
    ok({
      value: [
        model("gpt-4o", "2024-11-20", ["GlobalStandard", "GlobalProvisionedManaged"], { minimum: 15, step: 5 }),
        model("gpt-4.1-mini", "2025-04-14", ["DataZoneStandard"]),
        model("text-embedding-3-large", "1", ["Standard"]),
        model("whisper", "001", ["Standard"]),
        model("dall-e-3", "3.0", ["Standard"]),
      ],
    }),
  );
  s.script(
    paths.deployments(HUB, hubAccount.resourceGroup.name, hubAccount.name),
    ok({
      value: [
        deploymentEntry(
          HUB,
          hubAccount.resourceGroup.name,
          hubAccount.name,
          "embeddings",
          "text-embedding-3-large",
          "Standard",
          200,
        ),
      ],
    }),
  );
  s.script(
    paths.usages(SPOKE, "eastus2"),
    ok({
      value: [
        usage("OpenAI.GlobalStandard.gpt-4o", 0, 30000),
        usage("OpenAI.DataZoneStandard.gpt-4.1-mini", 1000, 50000),
        usage("OpenAI.Standard.text-embedding-3-large", 0, 350),
        usage("OpenAI.GlobalStandard.o4-mini", 0, 10000),
        usage("OpenAI.GlobalStandard.gpt-5-mini", 500, 10000),
      ],
    }),
  );
  s.script(
    paths.models(SPOKE, "eastus2"),
    ok({
      value: [
        model("gpt-4o", "2024-11-20", ["GlobalStandard"]),
        model("gpt-4.1-mini", "2025-04-14", ["DataZoneStandard"]),
        model("text-embedding-3-large", "1", ["Standard"]),
        model("o4-mini", "2025-04-16", ["GlobalStandard"]),
        model("gpt-5-mini", "2025-08-07", ["GlobalStandard"]),
      ],
    }),
  );
  // The spoke account is not deployed yet: ARM answers 404 for its resource group.
  s.script(
    paths.deployments(SPOKE, spokeAccount.resourceGroup.name, spokeAccount.name),
    armError(404, "ResourceGroupNotFound", `Resource group '${spokeAccount.resourceGroup.name}' could not be found.`),
  );
}

const pool = (json: QuotaJson, name: string) =>
  json.pools.find((p) => `${p.subscription}/${p.location}/${p.model}/${p.sku}` === name);

describe("quota against the ARM stand-in: every region answers", () => {
  let arm: ArmStandIn;
  let run: { code: number; out: string; err: string };
  let json: QuotaJson;
  beforeAll(async () => {
    arm = await startArmStandIn();
    scriptHappy(arm);
    run = await arm.cli(["quota", "--config", FIXTURE, "--json"]);
    json = JSON.parse(run.out) as QuotaJson;
  });
  afterAll(() => arm.close());

  it("exits 0 with no problem and no failure", () => {
    expect([run.code, json.problems, json.failures, run.err]).toEqual([0, [], [], ""]);
  });

  it("reports all 10 pools of the stack, each with a known limit", () => {
    expect([json.pools.length, json.pools.filter((p) => p.limit === null).length]).toEqual([10, 0]);
  });

  it("reports limit, used by others, this stack's allocation and the room left of a pool, in TPM", () => {
    expect(pool(json, "hub/swedencentral/gpt-4o/GlobalStandard")).toMatchObject({
      unit: "TPM",
      limit: 30000000,
      used: 100000,
      stackAllocated: 300000,
      available: 29600000,
    });
  });

  it("does not count the stack's own existing deployment as used by others", () => {
    expect(pool(json, "hub/swedencentral/text-embedding-3-large/Standard")).toMatchObject({
      limit: 350000,
      used: 0,
      stackExisting: 200000,
      stackAllocated: 200000,
      available: 150000,
    });
  });

  it("counts an image model's pool in requests per minute (3 per capacity unit)", () => {
    expect(pool(json, "hub/swedencentral/dall-e-3/Standard")).toMatchObject({
      unit: "RPM",
      limit: 6,
      used: 0,
      stackAllocated: 6,
      available: 0,
    });
  });

  it("follows nextLink to the second page of usages", () => {
    expect(arm.requests.filter((r) => r.path === paths.usages(HUB, "swedencentral")).map((r) => r.apiVersion)).toEqual([
      "2025-09-01",
      "2025-09-01",
    ]);
  });

  it("sends the stand-in az token on every request", () => {
    expect([...new Set(arm.requests.map((r) => r.authorization))]).toEqual(["Bearer stand-in-token"]);
  });

  it("names the ARM endpoint it read", () => {
    expect(json.armEndpoint).toBe(arm.url);
  });

  it("asks az for a token for the public cloud's Resource Manager (aoai-gateway:cloud default)", () => {
    expect([...new Set(arm.azCalls())]).toEqual([
      "account get-access-token --output json --resource https://management.azure.com",
    ]);
  });
});

describe("quota against the ARM stand-in: a stack in Azure China", () => {
  let arm: ArmStandIn;
  let dir: string;
  beforeAll(async () => {
    arm = await startArmStandIn();
    scriptHappy(arm);
    dir = mkdtempSync(join(tmpdir(), "aoai-gateway-cloud-"));
  });
  afterAll(async () => {
    await arm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks az for a token for Azure China's Resource Manager", async () => {
    const file = join(dir, "Pulumi.china.yaml");
    writeFileSync(
      file,
      readFileSync(FIXTURE, "utf8").replace(
        "  aoai-gateway:tags:",
        "  aoai-gateway:cloud: AzureChinaCloud\n  aoai-gateway:tags:",
      ),
    );
    await arm.cli(["quota", "--config", file]);
    expect([...new Set(arm.azCalls())]).toEqual([
      "account get-access-token --output json --resource https://management.chinacloudapi.cn",
    ]);
  });
});

describe("quota against the ARM stand-in: problems", () => {
  let arm: ArmStandIn;
  beforeAll(async () => {
    arm = await startArmStandIn();
  });
  afterAll(() => arm.close());

  it("refuses a full pool by name, with how much is missing", async () => {
    scriptHappy(arm);
    arm.script(
      paths.usages(SPOKE, "eastus2"),
      ok({
        value: [
          usage("OpenAI.GlobalStandard.gpt-4o", 0, 30000),
          usage("OpenAI.DataZoneStandard.gpt-4.1-mini", 0, 50000),
          usage("OpenAI.Standard.text-embedding-3-large", 0, 350),
          usage("OpenAI.GlobalStandard.o4-mini", 0, 10000),
          usage("OpenAI.GlobalStandard.gpt-5-mini", 9950, 10000),
        ],
      }),
    );
    const r = await arm.cli(["quota", "--config", FIXTURE]);
    expect([r.code, r.err]).toEqual([
      1,
      "error: 1 problem: quota pool spoke/eastus2/gpt-5-mini/GlobalStandard does not fit: limit 10,000,000 TPM, used by others 9,950,000 TPM, this stack 100,000 TPM: 50,000 TPM short; lower capacity, move a deployment (aoai-gateway capacity proposes where), or request more quota\n",
    ]);
  });

  it("refuses a model version and type the region does not offer, naming all four", async () => {
    scriptHappy(arm);
    arm.script(
      paths.models(SPOKE, "eastus2"),
      ok({
        value: [
          model("gpt-4o", "2024-11-20", ["GlobalStandard"]),
          model("gpt-4.1-mini", "2025-04-14", ["DataZoneStandard"]),
          model("text-embedding-3-large", "1", ["Standard"]),
          model("o4-mini", "2025-04-16", ["DataZoneStandard"]),
          model("gpt-5-mini", "2025-08-07", ["GlobalStandard"]),
        ],
      }),
    );
    const r = await arm.cli(["quota", "--config", FIXTURE]);
    expect([r.code, r.err]).toEqual([
      1,
      "error: 1 problem: aoai-gateway:backends[1].deployments[3]: model o4-mini version 2025-04-16 as GlobalStandard is not offered in eastus2 (subscription spoke): the region offers 2025-04-16 as DataZoneStandard\n",
    ]);
  });

  it("retries a throttled call after its Retry-After and then reads it", async () => {
    scriptHappy(arm);
    const before = arm.requests.length;
    arm.script(
      paths.usages(SPOKE, "eastus2"),
      armError(429, "TooManyRequests", "Rate limit exceeded", { "retry-after": "1" }),
      ok({ value: [usage("OpenAI.GlobalStandard.gpt-4o", 0, 30000)] }),
    );
    const r = await arm.cli(["quota", "--config", FIXTURE, "--json"]);
    const spokeCalls = arm.requests.slice(before).filter((q) => q.path === paths.usages(SPOKE, "eastus2")).length;
    expect([spokeCalls, pool(JSON.parse(r.out) as QuotaJson, "spoke/eastus2/gpt-4o/GlobalStandard")?.limit]).toEqual([
      2, 30000000,
    ]);
  });

  it("names the role to assign on 403 and still reports the regions it could read", async () => {
    scriptHappy(arm);
    arm.script(
      paths.usages(SPOKE, "eastus2"),
      armError(
        403,
        "AuthorizationFailed",
        `The client 'x' does not have authorization to perform action 'Microsoft.CognitiveServices/locations/usages/read' over scope '/subscriptions/${SPOKE}'.`,
      ),
    );
    const r = await arm.cli(["quota", "--config", FIXTURE, "--json"]);
    const json = JSON.parse(r.out) as QuotaJson;
    expect([r.code, json.pools.map((p) => p.subscription), json.failures]).toEqual([
      1,
      ["hub", "hub", "hub", "hub", "hub"],
      [
        `subscription spoke (${SPOKE}): 403 AuthorizationFailed reading quota usages in eastus2: give the identity the roles "Cognitive Services Usages Reader" (quota) and "Reader" (models, deployments) at subscription scope: az role assignment create --assignee <principal> --role "Cognitive Services Usages Reader" --scope /subscriptions/${SPOKE}`,
      ],
    ]);
  });

  it("says a subscription was not found and what to check", async () => {
    scriptHappy(arm);
    arm.script(
      paths.usages(SPOKE, "eastus2"),
      armError(404, "SubscriptionNotFound", `The subscription '${SPOKE}' could not be found.`),
    );
    const r = await arm.cli(["quota", "--config", FIXTURE]);
    expect([r.code, r.err]).toEqual([
      1,
      `error: 1 problem: subscription spoke (${SPOKE}): not found (SubscriptionNotFound): check aoai-gateway:subscriptions[].id and that the signed-in identity can see the subscription (az account list)\n`,
    ]);
  });

  it("stops with one line when no credential is signed in", async () => {
    scriptHappy(arm);
    const r = await arm.cli(["quota", "--config", FIXTURE], { signedOut: true });
    expect([
      r.code,
      r.err.split("\n").length,
      r.err.startsWith("error: no Azure credential: sign in with `az login`"),
    ]).toEqual([1, 2, true]);
  });
});

describe("capacity against the ARM stand-in", () => {
  let arm: ArmStandIn;
  let run: { code: number; out: string; err: string };
  beforeAll(async () => {
    arm = await startArmStandIn();
    scriptHappy(arm);
    const capacity = (location: string, availableCapacity: number) => ({
      id: `/subscriptions/x/providers/Microsoft.CognitiveServices/locations/${location}/models/gpt-4o`,
      type: "Microsoft.CognitiveServices/locations/models",
      name: "GlobalStandard",
      location,
      properties: {
        model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
        skuName: "GlobalStandard",
        availableCapacity,
      },
    });
    arm.script(
      paths.capacities(HUB),
      ok({
        value: [capacity("swedencentral", 200), capacity("francecentral", 400), capacity("brazilsoutheast", 5000)],
      }),
    );
    arm.script(paths.capacities(SPOKE), ok({ value: [capacity("eastus2", 500), capacity("westus3", 1000)] }));
    run = await arm.cli([
      "capacity",
      "--config",
      FIXTURE,
      "--model",
      "gpt-4o",
      "--version",
      "2024-11-20",
      "--tpm",
      "1500000",
    ]);
  });
  afterAll(() => arm.close());

  it("proposes backend entries: the stack's own region first, then the largest room, as YAML to paste", () => {
    expect([run.code, run.out]).toEqual([
      0,
      [
        "# 1,500,000 of 1,500,000 TPM of gpt-4o 2024-11-20 (GlobalStandard) found in 3 pools.",
        "# Paste under aoai-gateway:backends in the stack file, then run `aoai-gateway plan` and `aoai-gateway quota`.",
        "    # spoke/eastus2: the stack already has account spoke-eastus2 here; add this deployment to that entry's deployments instead of a new entry",
        "        - name: gpt-4o",
        "          model: gpt-4o",
        '          version: "2024-11-20"',
        "          sku: GlobalStandard",
        "          capacity: 200 # 200,000 TPM",
        "    - subscription: spoke",
        "      location: westus3",
        "      deployments:",
        "        - name: gpt-4o",
        "          model: gpt-4o",
        '          version: "2024-11-20"',
        "          sku: GlobalStandard",
        "          capacity: 1000 # 1,000,000 TPM",
        "    - subscription: hub",
        "      location: francecentral",
        "      deployments:",
        "        - name: gpt-4o",
        "          model: gpt-4o",
        '          version: "2024-11-20"',
        "          sku: GlobalStandard",
        "          capacity: 300 # 300,000 TPM",
        "# Left out: hub/brazilsoutheast: the model catalog does not list this region for it (npx aoai-gateway catalog refresh, or aoai-gateway:modelCatalog); hub/swedencentral: no room left once this stack's allocation is counted",
        "",
      ].join("\n"),
    ]);
  });

  it("asks Azure for the model's capacities in every subscription of the stack", () => {
    expect(
      arm.requests
        .filter((r) => r.path.endsWith("/modelCapacities"))
        .map((r) => r.path)
        .sort(),
    ).toEqual([paths.capacities(HUB), paths.capacities(SPOKE)]);
  });
});

describe("catalog refresh against the ARM stand-in", () => {
  let arm: ArmStandIn;
  let dir: string;
  let run: { code: number; out: string; err: string };
  let file: {
    readOn: string;
    refreshed: { regions: string[] };
    regionSets: Record<string, string[]>;
    models: Record<string, { types: Record<string, { regions: string; ptu?: unknown }> }>;
  };
  beforeAll(async () => {
    arm = await startArmStandIn();
    scriptHappy(arm);
    dir = mkdtempSync(join(tmpdir(), "aoai-gateway-catalog-"));
    run = await arm.cli(["catalog", "refresh", "--config", FIXTURE, "--out", join(dir, "catalog.json")]);
    file = JSON.parse(readFileSync(join(dir, "catalog.json"), "utf8")) as typeof file;
  });
  afterAll(async () => {
    await arm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records the regions it read", () => {
    expect([run.code, file.refreshed.regions]).toEqual([0, ["eastus2", "swedencentral"]]);
  });

  it("takes a region out of a type that no read region offers there any more", () => {
    const set = file.regionSets[file.models["gpt-4o"].types.DataZoneStandard.regions];
    expect([set.includes("swedencentral"), set.includes("eastus2"), set.includes("westeurope")]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("takes the PTU minimum and increment from the models API", () => {
    expect(file.models["gpt-4o"].types.GlobalProvisionedManaged.ptu).toEqual({ minimum: 15, increment: 5 });
  });
});
