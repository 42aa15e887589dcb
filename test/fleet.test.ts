/**
 * Issue #3: the Azure OpenAI fleet, from the real program under mocks.
 * Failure modes from users' deploys are named in each test's title.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { T, named, ofType, runStack, stackConfig, withBackends } from "./helpers/program";
import { EXAMPLE_NAMES } from "./helpers/stacks";

/** Registration order across accounts is not fixed; compare sorted by logical name. */
const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));

let prod: MockRunResult;
let dev: MockRunResult;
beforeAll(async () => {
  prod = await runStack(stackConfig("prod"));
  dev = await runStack(stackConfig("dev"));
});

describe("providers", () => {
  it("creates one explicit provider per subscription alias with its subscription id", () => {
    expect(ofType(prod, T.provider).map((p) => [p.name, p.inputs.subscriptionId])).toEqual([
      ["azure-prod-hub", "00000000-0000-0000-0000-0000000a0001"],
      ["azure-prod-east", "00000000-0000-0000-0000-0000000a0002"],
      ["azure-prod-west", "00000000-0000-0000-0000-0000000a0003"],
      ["azure-prod-eu", "00000000-0000-0000-0000-0000000a0004"],
    ]);
  });

  it("gives every Azure resource an explicit provider (nothing lands in a default subscription)", () => {
    const azure = prod.resources.filter((r) => r.type.startsWith("azure-native:"));
    expect(azure.length).toBe(85); // with the operator subscription (#21) and the response seal key named value (#18)
    expect(azure.filter((r) => r.provider === null)).toEqual([]);
  });

  it("disables the default azure-native provider in every example stack", () => {
    for (const stack of EXAMPLE_NAMES) {
      expect(stackConfig(stack)["pulumi:disable-default-providers"]).toEqual(["azure-native"]);
    }
  });

  it("puts each account and its deployments under its own subscription's provider", () => {
    const accounts = ofType(prod, T.account).map((a) => [a.name, a.provider]);
    expect(accounts).toEqual([
      ["fleet-prod-hub-swedencentral", "azure-prod-hub"],
      ["fleet-prod-east-eastus2", "azure-prod-east"],
      ["fleet-prod-west-westus3", "azure-prod-west"],
      ["fleet-prod-eu-francecentral", "azure-prod-eu"],
    ]);
    for (const d of ofType(prod, T.deployment)) {
      expect(d.provider).toBe(
        `azure-${d.parent?.replace(/^fleet-/, "").replace(/-(swedencentral|eastus2|westus3|francecentral)$/, "")}`,
      );
    }
  });
});

describe("accounts", () => {
  it("registers one account per backend entry: 4 in prod, 2 in dev", () => {
    expect(ofType(prod, T.account)).toHaveLength(4);
    expect(ofType(dev, T.account)).toHaveLength(2);
  });

  it("creates an account of kind OpenAI, sku S0, local auth off, system identity, subdomain = name", () => {
    expect(named(prod, T.account, "fleet-prod-east-eastus2").inputs).toEqual({
      accountName: "contoso-ai-prod-east-eastus2-d59bc2a1",
      resourceGroupName: "contoso-ai-prod-east-eastus2-rg",
      location: "eastus2",
      kind: "OpenAI",
      sku: { name: "S0" },
      identity: { type: "SystemAssigned" },
      properties: {
        customSubDomainName: "contoso-ai-prod-east-eastus2-d59bc2a1",
        disableLocalAuth: true,
        publicNetworkAccess: "Enabled",
      },
      tags: { environment: "prod", owner: "platform-team" },
    });
  });

  it("keeps account names within Azure's 2-64 lowercase, digit and hyphen rule (custom subdomain)", () => {
    for (const a of ofType(prod, T.account)) {
      expect(String(a.inputs.accountName)).toMatch(/^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/);
    }
  });

  it("derives the same account names on every run (a second pulumi up renames nothing)", async () => {
    const again = await runStack(stackConfig("prod"));
    expect(ofType(again, T.account).map((a) => a.inputs.accountName)).toEqual(
      ofType(prod, T.account).map((a) => a.inputs.accountName),
    );
  });

  it("passes publicNetworkAccess and per-backend tags from config", async () => {
    const config = withBackends("dev", (backends) => {
      backends[1] = { ...backends[1], publicNetworkAccess: "Enabled", tags: { costCenter: "42" } };
    });
    const result = await runStack(config);
    const account = named(result, T.account, "fleet-dev-spoke-eastus2");
    expect(account.inputs.properties).toEqual({
      customSubDomainName: "contoso-ai-dev-dev-spoke-eastus2-727d483b",
      disableLocalAuth: true,
      publicNetworkAccess: "Enabled",
    });
    expect(account.inputs.tags).toEqual({ environment: "dev", owner: "platform-team", costCenter: "42" });
  });
});

describe("resource groups", () => {
  it("creates one resource group per account and one for the gateway, each in its region", () => {
    expect(ofType(prod, T.rg).map((g) => [g.name, g.inputs.resourceGroupName, g.inputs.location, g.provider])).toEqual([
      ["gateway-rg", "contoso-ai-gateway-rg", "swedencentral", "azure-prod-hub"],
      ["fleet-prod-hub-swedencentral-rg", "contoso-ai-prod-hub-swedencentral-rg", "swedencentral", "azure-prod-hub"],
      ["fleet-prod-east-eastus2-rg", "contoso-ai-prod-east-eastus2-rg", "eastus2", "azure-prod-east"],
      ["fleet-prod-west-westus3-rg", "contoso-ai-prod-west-westus3-rg", "westus3", "azure-prod-west"],
      ["fleet-prod-eu-francecentral-rg", "contoso-ai-prod-eu-francecentral-rg", "francecentral", "azure-prod-eu"],
    ]);
  });

  it("adopts an existing resource group: registers no group and deploys the account into it", async () => {
    const config = withBackends("dev", (backends) => {
      backends[0] = { ...backends[0], resourceGroup: "platform-ai-rg" };
    });
    const result = await runStack(config);
    expect(ofType(result, T.rg).map((g) => g.name)).toEqual(["gateway-rg", "fleet-dev-spoke-eastus2-rg"]);
    const account = named(result, T.account, "fleet-dev-hub-swedencentral");
    expect(account.inputs.resourceGroupName).toBe("platform-ai-rg");
    expect(named(result, T.deployment, "fleet-dev-hub-swedencentral-gpt-4o").inputs.resourceGroupName).toBe(
      "platform-ai-rg",
    );
  });

  it("moving an account to another resource group gives it a new name (no clash with the soft-deleted original)", async () => {
    const config = withBackends("dev", (backends) => {
      backends[0] = { ...backends[0], resourceGroup: "platform-ai-rg" };
    });
    const moved = await runStack(config);
    expect(named(moved, T.account, "fleet-dev-hub-swedencentral").inputs.accountName).not.toBe(
      named(dev, T.account, "fleet-dev-hub-swedencentral").inputs.accountName,
    );
  });
});

describe("deployments", () => {
  it("creates each deployment with its deployment type, capacity, model and version", () => {
    expect(
      ofType(prod, T.deployment)
        .map((d) => [d.name, d.inputs.deploymentName, d.inputs.sku, d.inputs.properties])
        .sort(byName),
    ).toEqual([
      [
        "fleet-prod-east-eastus2-gpt-4.1-mini",
        "gpt-4.1-mini",
        { name: "GlobalStandard", capacity: 2000 },
        {
          model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-east-eastus2-gpt-4o",
        "gpt-4o",
        { name: "GlobalStandard", capacity: 450 },
        {
          model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-eu-francecentral-gpt-4.1-mini",
        "gpt-4.1-mini",
        { name: "DataZoneStandard", capacity: 1000 },
        {
          model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-eu-francecentral-gpt-4o",
        "gpt-4o",
        { name: "DataZoneStandard", capacity: 300 },
        {
          model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-hub-swedencentral-gpt-4.1-mini",
        "gpt-4.1-mini",
        { name: "GlobalStandard", capacity: 2000 },
        {
          model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-hub-swedencentral-gpt-4o",
        "gpt-4o",
        { name: "GlobalProvisionedManaged", capacity: 50 },
        {
          model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-west-westus3-gpt-4.1-mini",
        "gpt-4.1-mini",
        { name: "GlobalStandard", capacity: 2000 },
        {
          model: { format: "OpenAI", name: "gpt-4.1-mini", version: "2025-04-14" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
      [
        "fleet-prod-west-westus3-gpt-4o",
        "gpt-4o",
        { name: "GlobalStandard", capacity: 450 },
        {
          model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
          versionUpgradeOption: "OnceCurrentVersionExpired",
        },
      ],
    ]);
  });

  it("serializes deployments of one account (RequestConflict: one write at a time on the parent account)", () => {
    const chains = ofType(prod, T.deployment)
      .map((d) => [d.name, d.dependsOn])
      .sort(byName);
    expect(chains).toEqual([
      ["fleet-prod-east-eastus2-gpt-4.1-mini", []],
      ["fleet-prod-east-eastus2-gpt-4o", ["fleet-prod-east-eastus2-gpt-4.1-mini"]],
      ["fleet-prod-eu-francecentral-gpt-4.1-mini", []],
      ["fleet-prod-eu-francecentral-gpt-4o", ["fleet-prod-eu-francecentral-gpt-4.1-mini"]],
      ["fleet-prod-hub-swedencentral-gpt-4.1-mini", []],
      ["fleet-prod-hub-swedencentral-gpt-4o", ["fleet-prod-hub-swedencentral-gpt-4.1-mini"]],
      ["fleet-prod-west-westus3-gpt-4.1-mini", []],
      ["fleet-prod-west-westus3-gpt-4o", ["fleet-prod-west-westus3-gpt-4.1-mini"]],
    ]);
  });

  it("targets the account by its name output and sits under the account's component", () => {
    const d = named(prod, T.deployment, "fleet-prod-west-westus3-gpt-4o");
    expect([d.inputs.accountName, d.inputs.resourceGroupName, d.parent]).toEqual([
      "contoso-ai-prod-west-westus3-be76a640",
      "contoso-ai-prod-west-westus3-rg",
      "fleet-prod-west-westus3",
    ]);
  });

  it("sends no raiPolicyName unless configured (Azure applies its default; an explicit value would diff)", () => {
    expect(ofType(prod, T.deployment).filter((d) => "raiPolicyName" in (d.inputs.properties as object))).toEqual([]);
  });

  it("passes raiPolicyName and versionUpgradeOption from config", async () => {
    const config = withBackends("dev", (backends) => {
      backends[0].deployments[0] = {
        ...backends[0].deployments[0],
        raiPolicyName: "strict-filter",
        versionUpgradeOption: "NoAutoUpgrade",
      };
    });
    const result = await runStack(config);
    expect(named(result, T.deployment, "fleet-dev-hub-swedencentral-gpt-4o").inputs.properties).toEqual({
      model: { format: "OpenAI", name: "gpt-4o", version: "2024-11-20" },
      versionUpgradeOption: "NoAutoUpgrade",
      raiPolicyName: "strict-filter",
    });
  });

  it("tags no deployment (any diff on a deployment re-checks its quota)", () => {
    expect(ofType(prod, T.deployment).filter((d) => "tags" in d.inputs)).toEqual([]);
  });
});

describe("components and outputs", () => {
  it("parents each account's resources to one OpenAiAccount component under the fleet", () => {
    const components = prod.resources.filter((r) => r.type === "aoai-gateway:fleet:OpenAiAccount");
    expect(components.map((c) => [c.name, c.parent])).toEqual([
      ["fleet-prod-hub-swedencentral", "fleet"],
      ["fleet-prod-east-eastus2", "fleet"],
      ["fleet-prod-west-westus3", "fleet"],
      ["fleet-prod-eu-francecentral", "fleet"],
    ]);
    expect(named(prod, T.account, "fleet-prod-hub-swedencentral").parent).toBe("fleet-prod-hub-swedencentral");
  });

  it("exports each account's endpoint, resource id and deployment names", () => {
    expect(prod.outputs.accounts).toEqual([
      {
        key: "prod-hub-swedencentral",
        endpoint: "https://contoso-ai-prod-hub-swedencentral-5c05ad82.openai.azure.com/",
        id: "/subscriptions/00000000-0000-0000-0000-0000000a0001/resourceGroups/contoso-ai-prod-hub-swedencentral-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-hub-swedencentral-5c05ad82",
        deployments: ["gpt-4.1-mini", "gpt-4o"],
      },
      {
        key: "prod-east-eastus2",
        endpoint: "https://contoso-ai-prod-east-eastus2-d59bc2a1.openai.azure.com/",
        id: "/subscriptions/00000000-0000-0000-0000-0000000a0002/resourceGroups/contoso-ai-prod-east-eastus2-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-east-eastus2-d59bc2a1",
        deployments: ["gpt-4.1-mini", "gpt-4o"],
      },
      {
        key: "prod-west-westus3",
        endpoint: "https://contoso-ai-prod-west-westus3-be76a640.openai.azure.com/",
        id: "/subscriptions/00000000-0000-0000-0000-0000000a0003/resourceGroups/contoso-ai-prod-west-westus3-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-west-westus3-be76a640",
        deployments: ["gpt-4.1-mini", "gpt-4o"],
      },
      {
        key: "prod-eu-francecentral",
        endpoint: "https://contoso-ai-prod-eu-francecentral-e4b9176d.openai.azure.com/",
        id: "/subscriptions/00000000-0000-0000-0000-0000000a0004/resourceGroups/contoso-ai-prod-eu-francecentral-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-eu-francecentral-e4b9176d",
        deployments: ["gpt-4.1-mini", "gpt-4o"],
      },
    ]);
  });
});

describe("invalid config", () => {
  it("registers no resource and fails with the validator's message", async () => {
    const registered: string[] = [];
    const config = withBackends("dev", (backends) => {
      backends[0].deployments[0] = { ...backends[0].deployments[0], priority: 101 };
    });
    await expect(runStack(config, (type, name) => registered.push(`${type}::${name}`))).rejects.toThrow(
      "aoai-gateway:backends[0].deployments[0].priority: got 101; allowed: an integer from 0 to 100",
    );
    expect(registered).toEqual([]);
  });
});
