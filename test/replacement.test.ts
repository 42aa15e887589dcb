/**
 * Issue #11, "changes that must not break a running stack", on the real
 * program under mocks: names that survive a reorder, delete-first
 * replacement, model version drift under auto-upgrade, the Premium v2 switch
 * and the service properties each tier accepts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { T, named, ofType, runStack, stackConfig, withBackends, withConfig } from "./helpers/program";
import { portalStatus } from "../infra/components/api-gateway";
import type { ExampleName } from "./helpers/stacks";

let prod: MockRunResult;
beforeAll(async () => {
  prod = await runStack(stackConfig("prod"));
});

function gatewayWith(stack: ExampleName, changes: Record<string, unknown>): Record<string, unknown> {
  const config = withConfig(stack, {});
  config["aoai-gateway:gateway"] = { ...(config["aoai-gateway:gateway"] as object), ...changes };
  return config;
}

/** Every custom resource as `type name azure-name`, sorted: what identifies it to Pulumi and to Azure. */
function identities(result: MockRunResult): string[] {
  const azureName = (inputs: Record<string, unknown>) =>
    ["accountName", "deploymentName", "serviceName", "backendId", "roleAssignmentName"]
      .map((k) => inputs[k])
      .find((v): v is string => typeof v === "string") ?? "";
  return result.resources
    .filter((r) => r.custom)
    .map((r) => `${r.type} ${r.name} ${azureName(r.inputs)}`)
    .sort();
}

describe("account names", () => {
  it("keeps the names existing single-account stacks were deployed with", () => {
    expect(ofType(prod, T.account).map((a) => a.inputs.accountName)).toEqual([
      "contoso-ai-prod-hub-swedencentral-5c05ad82",
      "contoso-ai-prod-east-eastus2-d59bc2a1",
      "contoso-ai-prod-west-westus3-be76a640",
      "contoso-ai-prod-eu-francecentral-e4b9176d",
    ]);
  });

  it("registers the same resources under the same names after two entries in one region swap places", async () => {
    const extra = {
      key: "ptu",
      subscription: "dev-hub",
      location: "swedencentral",
      deployments: [
        { name: "gpt-4o-ptu", model: "gpt-4o", version: "2024-11-20", sku: "GlobalStandard", capacity: 50 },
      ],
    };
    const before = await runStack(withBackends("dev", (b) => b.push(extra)));
    const after = await runStack(withBackends("dev", (b) => b.unshift(extra)));
    expect(identities(after)).toEqual(identities(before));
  });
});

// InsufficientQuota when a deployment is re-sent to a nearly full pool
// (Azure/bicep-types-az#1844, #1660): create-before-delete would put two
// deployments in one pool at once.
describe("replacement deletes first", () => {
  it("replaces an account delete-first (its subdomain is held until the old one is gone)", () => {
    expect(ofType(prod, T.account).map((a) => a.options.deleteBeforeReplace)).toEqual([true, true, true, true]);
  });

  it("replaces a deployment delete-first, and on a model, format or type change instead of failing", () => {
    const d = named(prod, T.deployment, "fleet-prod-hub-swedencentral-gpt-4o");
    expect([d.options.deleteBeforeReplace, d.options.replaceOnChanges]).toEqual([
      true,
      ["properties.model.name", "properties.model.format", "sku.name"],
    ]);
  });
});

// Version drift: hashicorp/terraform-provider-azurerm#24516 (the provider
// keeps re-sending a version Azure does not keep).
describe("model version drift", () => {
  it("ignores server-side version changes while auto-upgrade is on (the default OnceCurrentVersionExpired)", () => {
    const d = named(prod, T.deployment, "fleet-prod-hub-swedencentral-gpt-4o");
    expect(d.options.ignoreChanges).toEqual(["properties.model.version"]);
  });

  it("ignores server-side version changes with OnceNewDefaultVersionAvailable", async () => {
    const result = await runStack(
      withBackends("dev", (b) => (b[0].deployments[0].versionUpgradeOption = "OnceNewDefaultVersionAvailable")),
    );
    expect(named(result, T.deployment, "fleet-dev-hub-swedencentral-gpt-4o").options.ignoreChanges).toEqual([
      "properties.model.version",
    ]);
  });

  it("applies the configured version with NoAutoUpgrade", async () => {
    const result = await runStack(
      withBackends("dev", (b) => (b[0].deployments[0].versionUpgradeOption = "NoAutoUpgrade")),
    );
    expect(named(result, T.deployment, "fleet-dev-hub-swedencentral-gpt-4o").options.ignoreChanges).toBeUndefined();
  });
});

describe("switching to or from Premium v2", () => {
  it("keeps the Basic v2 service name existing stacks were deployed with", async () => {
    const dev = await runStack(stackConfig("dev"));
    expect(named(dev, T.apim, "gateway").inputs.serviceName).toBe("contoso-ai-dev-3fdee8b8");
  });

  it("gives Premium v2 its own service name, so the new service is created beside the old one", async () => {
    const basic = await runStack(stackConfig("dev"));
    const premium = await runStack(gatewayWith("dev", { sku: "PremiumV2", capacity: 1 }));
    expect([
      named(basic, T.apim, "gateway").inputs.serviceName,
      named(premium, T.generic, "gateway").inputs.resourceName,
    ]).toEqual(["contoso-ai-dev-3fdee8b8", "contoso-ai-dev-5c8cd774"]);
  });

  it("moves every APIM child to the new service when the tier family changes", async () => {
    const premium = await runStack(gatewayWith("dev", { sku: "PremiumV2", capacity: 1 }));
    const services = new Set(ofType(premium, T.backend).map((b) => b.inputs.serviceName));
    expect([...services]).toEqual(["contoso-ai-dev-5c8cd774"]);
  });
});

// Findings on what each tier and API version accepts (docs/changing-a-stack.md,
// "Service properties per tier"). azure-native 3.28 fills developerPortalStatus
// and legacyPortalStatus with "Enabled" and enableClientCertificate with false
// when unset (apimanagement/apiManagementService.js), so "not sending" a
// property means setting it to a value the tier accepts.
describe("service properties per tier", () => {
  // Source: Microsoft's tier feature comparison
  // (learn.microsoft.com/azure/api-management/api-management-features):
  // Developer portal "No" for Consumption. Validation refuses Consumption today
  // (its 16 KiB policy limit, issue #9), so the rule is checked on the pure helper.
  it("would send the developer portal and the retired legacy portal as Disabled on Consumption, which has neither", () => {
    expect(portalStatus()).toEqual({
      developerPortalStatus: "Disabled",
      legacyPortalStatus: "Disabled",
    });
  });

  // Source: the legacy developer portal was retired in October 2023
  // (Azure/API-Management#4, Azure/api-management-developer-portal#1455);
  // the v2 tiers came later and never had it.
  // Issue #18: a published developer portal hands out keys; it is off by default everywhere
  // (MicrosoftDocs/azure-docs#122318 documents developerPortalStatus "Disabled").
  it("sends the developer portal and the legacy portal as Disabled on v2 tiers (the SDK default is Enabled)", () => {
    const { developerPortalStatus, legacyPortalStatus } = named(prod, T.apim, "gateway").inputs;
    expect([developerPortalStatus, legacyPortalStatus]).toEqual(["Disabled", "Disabled"]);
  });

  it("sends the developer portal and the legacy portal as Disabled on classic tiers", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "Developer", capacity: 1 }));
    const { developerPortalStatus, legacyPortalStatus } = named(result, T.apim, "gateway").inputs;
    expect([developerPortalStatus, legacyPortalStatus]).toEqual(["Disabled", "Disabled"]);
  });

  // Source: pulumi-azure-native#4510 (v2 SKUs need API 2024-05-01 or later;
  // PremiumV2 2025-03-01-preview): the generic resource is sent exactly the
  // properties the program sets, so no SDK default can be rejected there.
  it("sends Premium v2 only the publisher properties and the disabled developer portal (no SDK defaults reach the generic resource)", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "PremiumV2", capacity: 1 }));
    expect(Object.keys(named(result, T.generic, "gateway").inputs.properties as object).sort()).toEqual([
      "developerPortalStatus",
      "publisherEmail",
      "publisherName",
    ]);
  });
});
