/**
 * Issue #4: the API Management gateway, from the real program under mocks.
 * Failure modes from users' deploys are named in each test's title.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { loadTopology } from "../infra/cli/common";
import { renderPolicies } from "../infra/policies/render";
import { API_OPERATIONS } from "../infra/model/names";
import { PINNED_PROD, T, named, ofType, runStack, stackConfig, withConfig } from "./helpers/program";

const PROD_SERVICE =
  "/subscriptions/00000000-0000-0000-0000-0000000a0001/resourceGroups/contoso-ai-gateway-rg/providers/Microsoft.ApiManagement/service/contoso-ai-554e8197";

let prod: MockRunResult;
let dev: MockRunResult;
beforeAll(async () => {
  prod = await runStack(stackConfig("prod"));
  dev = await runStack(stackConfig("dev"));
});

function gatewayWith(stack: string, changes: Record<string, unknown>): Record<string, unknown> {
  const config = withConfig(stack, {});
  config["aoai-gateway:gateway"] = { ...(config["aoai-gateway:gateway"] as object), ...changes };
  return config;
}

describe("API Management service", () => {
  it("creates the service in the gateway subscription with tier, units and a system identity", () => {
    const service = named(prod, T.apim, "gateway");
    expect(service.provider).toBe("azure-prod-hub");
    expect(service.inputs).toMatchObject({
      serviceName: "contoso-ai-554e8197",
      resourceGroupName: "contoso-ai-gateway-rg",
      location: "swedencentral",
      sku: { name: "StandardV2", capacity: 2 },
      identity: { type: "SystemAssigned" },
      publisherEmail: "platform@contoso.com",
      publisherName: "Contoso Platform",
      tags: { environment: "prod", owner: "platform-team" },
    });
  });

  it("deploys the dev stack's Basic v2 tier with one unit", () => {
    expect(named(dev, T.apim, "gateway").inputs.sku).toEqual({ name: "BasicV2", capacity: 1 });
  });

  it("sends enableClientCertificate=false on v2 tiers", () => {
    expect(named(prod, T.apim, "gateway").inputs.enableClientCertificate).toBe(false);
  });

  it("sets enableClientCertificate=true on classic dedicated tiers (false is rejected: pulumi-azure-native#1741)", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "Developer", capacity: 1 }));
    expect(named(result, T.apim, "gateway").inputs.enableClientCertificate).toBe(true);
  });

  it("waits up to 3 hours for classic tiers, which take 30-60+ minutes to create", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "Premium", capacity: 1 }));
    expect(named(result, T.apim, "gateway").options.customTimeouts).toEqual({
      create: "3h",
      update: "3h",
      delete: "2h",
    });
  });

  it("waits up to 1 hour for v2 tiers", () => {
    expect(named(prod, T.apim, "gateway").options.customTimeouts).toEqual({ create: "1h", update: "1h", delete: "1h" });
  });

  it("refuses Consumption before registering any resource: its 16 KiB policy limit cannot hold the routing policy", async () => {
    const registered: string[] = [];
    await expect(
      runStack(gatewayWith("dev", { sku: "Consumption", capacity: 0 }), (type, name) =>
        registered.push(`${type}::${name}`),
      ),
    ).rejects.toThrow('aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold');
    expect(registered).toEqual([]);
  });

  it("creates Premium v2 as an ARM resource at API 2025-03-01-preview (2024-05-01 rejects the SKU)", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "PremiumV2", capacity: 1 }));
    expect(ofType(result, T.apim)).toEqual([]);
    const service = named(result, T.generic, "gateway");
    expect(service.provider).toBe("azure-dev-hub");
    expect(service.inputs).toEqual({
      resourceGroupName: "contoso-ai-dev-gateway-rg",
      resourceProviderNamespace: "Microsoft.ApiManagement",
      parentResourcePath: "",
      resourceType: "service",
      resourceName: "contoso-ai-dev-5c8cd774",
      apiVersion: "2025-03-01-preview",
      location: "swedencentral",
      sku: { name: "PremiumV2", capacity: 1 },
      identity: { type: "SystemAssigned" },
      properties: { publisherEmail: "platform@contoso.com", publisherName: "Contoso Platform" },
      tags: { environment: "dev", owner: "platform-team" },
    });
  });

  it("wires Premium v2's identity into the role assignments", async () => {
    const result = await runStack(gatewayWith("dev", { sku: "PremiumV2", capacity: 1 }));
    expect(ofType(result, T.role).map((r) => r.inputs.principalId)).toEqual([
      "contoso-ai-dev-5c8cd774-principal-id",
      "contoso-ai-dev-5c8cd774-principal-id",
    ]);
  });

  it("adopts an existing resource group for the gateway", async () => {
    const result = await runStack(gatewayWith("dev", { resourceGroup: "shared-apim-rg" }));
    expect(ofType(result, T.rg).map((g) => g.name)).toEqual([
      "fleet-dev-hub-swedencentral-rg",
      "fleet-dev-spoke-eastus2-rg",
    ]);
    expect(named(result, T.apim, "gateway").inputs.resourceGroupName).toBe("shared-apim-rg");
  });
});

describe("backends", () => {
  it("creates one backend per (account, deployment) and one pool per route: 8 + 2 in prod, 4 + 2 in dev", () => {
    const count = (r: MockRunResult, type: string) => ofType(r, T.backend).filter((b) => b.inputs.type === type).length;
    expect([count(prod, "Single"), count(prod, "Pool")]).toEqual([8, 2]);
    expect([count(dev, "Single"), count(dev, "Pool")]).toEqual([4, 2]);
  });

  it("points each member backend at its account's /openai endpoint (APIM does not append the API path)", () => {
    expect(named(prod, T.backend, "backends-aoai-prod-west-westus3-gpt-4o").inputs).toEqual({
      resourceGroupName: "contoso-ai-gateway-rg",
      serviceName: "contoso-ai-554e8197",
      backendId: "aoai-prod-west-westus3-gpt-4o",
      title: "gpt-4o on prod-west-westus3",
      description:
        "Deployment gpt-4o (GlobalStandard) on Azure OpenAI account prod-west-westus3: subscription prod-west, westus3",
      url: "https://contoso-ai-prod-west-westus3-be76a640.openai.azure.com/openai",
      protocol: "http",
      type: "Single",
      tls: { validateCertificateChain: true, validateCertificateName: true },
      circuitBreaker: {
        rules: [
          {
            name: "openai-throttling",
            failureCondition: {
              count: 1,
              interval: "PT1M",
              statusCodeRanges: [
                { min: 429, max: 429 },
                { min: 500, max: 599 },
              ],
              errorReasons: ["BackendConnectionFailure", "Timeout"],
            },
            tripDuration: "PT1M",
            acceptRetryAfter: true,
          },
        ],
      },
    });
  });

  it("puts the circuit breaker on every member backend in pool mode", () => {
    const members = ofType(prod, T.backend).filter((b) => b.inputs.type === "Single");
    expect(members.map((b) => (b.inputs.circuitBreaker as { rules: unknown[] }).rules.length)).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1,
    ]);
  });

  it("takes circuit-breaker thresholds from config and drops 5xx when told to", async () => {
    const result = await runStack(
      withConfig("dev", {
        circuitBreaker: {
          failureCount: 3,
          interval: "PT30S",
          tripDuration: "PT2M",
          acceptRetryAfter: false,
          tripOnServerErrors: false,
        },
      }),
    );
    expect(named(result, T.backend, "backends-aoai-dev-hub-swedencentral-gpt-4o").inputs.circuitBreaker).toEqual({
      rules: [
        {
          name: "openai-throttling",
          failureCondition: { count: 3, interval: "PT30S", statusCodeRanges: [{ min: 429, max: 429 }] },
          tripDuration: "PT2M",
          acceptRetryAfter: false,
        },
      ],
    });
  });

  it("gives a pool only its type and members: no url or protocol (Url/Protocol is not supported for backend pool)", () => {
    const pool = named(prod, T.backend, "backends-pool-gpt-4o");
    expect(Object.keys(pool.inputs).sort()).toEqual([
      "backendId",
      "description",
      "pool",
      "resourceGroupName",
      "serviceName",
      "type",
    ]);
  });

  it("lists each pool member by the member backend's id with the planned priority and weight", () => {
    expect(named(prod, T.backend, "backends-pool-gpt-4o").inputs.pool).toEqual({
      services: [
        { id: `${PROD_SERVICE}/backends/aoai-prod-hub-swedencentral-gpt-4o`, priority: 1, weight: 100 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-east-eastus2-gpt-4o`, priority: 2, weight: 50 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-west-westus3-gpt-4o`, priority: 2, weight: 50 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-eu-francecentral-gpt-4o`, priority: 3, weight: 100 },
      ],
    });
    expect(named(prod, T.backend, "backends-pool-gpt-4.1-mini").inputs.pool).toEqual({
      services: [
        { id: `${PROD_SERVICE}/backends/aoai-prod-east-eastus2-gpt-4.1-mini`, priority: 1, weight: 33 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-hub-swedencentral-gpt-4.1-mini`, priority: 1, weight: 33 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-west-westus3-gpt-4.1-mini`, priority: 1, weight: 33 },
        { id: `${PROD_SERVICE}/backends/aoai-prod-eu-francecentral-gpt-4.1-mini`, priority: 2, weight: 100 },
      ],
    });
  });

  it("creates no pools in policy mode", async () => {
    const result = await runStack(withConfig("dev", { routing: { mode: "policy" } }));
    expect(ofType(result, T.backend).map((b) => b.inputs.backendId)).toEqual([
      "aoai-dev-hub-swedencentral-gpt-4o",
      "aoai-dev-spoke-eastus2-gpt-4o",
      "aoai-dev-hub-swedencentral-gpt-4o-mini",
      "aoai-dev-spoke-eastus2-gpt-4o-mini",
    ]);
  });
});

describe("role assignments", () => {
  it("grants the gateway identity Cognitive Services OpenAI User on each account, at account scope, in its subscription", () => {
    expect(named(prod, T.role, "access-prod-eu-francecentral").inputs).toEqual({
      roleAssignmentName: "5ed56ad1-6820-5e07-b163-dcbf5fa05571",
      scope:
        "/subscriptions/00000000-0000-0000-0000-0000000a0004/resourceGroups/contoso-ai-prod-eu-francecentral-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-eu-francecentral-e4b9176d",
      principalId: "contoso-ai-554e8197-principal-id",
      principalType: "ServicePrincipal",
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-0000000a0004/providers/Microsoft.Authorization/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
      description: "aoai-gateway contoso-ai: API Management calls Azure OpenAI with its managed identity",
    });
  });

  it("creates one assignment per account under that account's subscription provider", () => {
    expect(ofType(prod, T.role).map((r) => [r.name, r.provider])).toEqual([
      ["access-prod-hub-swedencentral", "azure-prod-hub"],
      ["access-prod-east-eastus2", "azure-prod-east"],
      ["access-prod-west-westus3", "azure-prod-west"],
      ["access-prod-eu-francecentral", "azure-prod-eu"],
    ]);
  });

  it("keeps assignment names stable between runs (RoleAssignmentExists on a re-created random name)", async () => {
    const again = await runStack(stackConfig("prod"));
    expect(ofType(again, T.role).map((r) => r.inputs.roleAssignmentName)).toEqual(
      ofType(prod, T.role).map((r) => r.inputs.roleAssignmentName),
    );
  });

  it("deletes before replacing (ARM refuses to change an assignment's principal under the same name)", () => {
    expect(ofType(prod, T.role).map((r) => r.options.deleteBeforeReplace)).toEqual([true, true, true, true]);
  });
});

describe("client API", () => {
  it("exposes Azure OpenAI's paths under /openai and takes the subscription key in api-key", () => {
    expect(named(prod, T.api, "api-api").inputs).toEqual({
      resourceGroupName: "contoso-ai-gateway-rg",
      serviceName: "contoso-ai-554e8197",
      apiId: "azure-openai",
      displayName: "Azure OpenAI",
      description: "Azure OpenAI through aoai-gateway contoso-ai: gpt-4.1-mini, gpt-4o",
      path: "openai",
      protocols: ["https"],
      apiType: "http",
      subscriptionRequired: true,
      subscriptionKeyParameterNames: { header: "api-key", query: "subscription-key" },
    });
  });

  it("declares every path current OpenAI clients call: deployment paths, Responses, v1 and models (issue #9)", () => {
    expect(
      ofType(prod, T.operation)
        .map((o) =>
          [
            o.inputs.operationId,
            o.inputs.method,
            o.inputs.urlTemplate,
            ...(o.inputs.templateParameters as { name: string }[]).map((p) => p.name),
          ].join(" "),
        )
        .sort(),
    ).toEqual(
      [
        "chat-completions POST /deployments/{deployment-id}/chat/completions deployment-id",
        "completions POST /deployments/{deployment-id}/completions deployment-id",
        "embeddings POST /deployments/{deployment-id}/embeddings deployment-id",
        "image-generations POST /deployments/{deployment-id}/images/generations deployment-id",
        "image-edits POST /deployments/{deployment-id}/images/edits deployment-id",
        "audio-transcriptions POST /deployments/{deployment-id}/audio/transcriptions deployment-id",
        "audio-translations POST /deployments/{deployment-id}/audio/translations deployment-id",
        "audio-speech POST /deployments/{deployment-id}/audio/speech deployment-id",
        "responses-create POST /responses",
        "responses-get GET /responses/{response-id} response-id",
        "responses-delete DELETE /responses/{response-id} response-id",
        "responses-input-items GET /responses/{response-id}/input_items response-id",
        "responses-cancel POST /responses/{response-id}/cancel response-id",
        "models-list GET /models",
        "v1-chat-completions POST /v1/chat/completions",
        "v1-completions POST /v1/completions",
        "v1-embeddings POST /v1/embeddings",
        "v1-image-generations POST /v1/images/generations",
        "v1-image-edits POST /v1/images/edits",
        "v1-audio-transcriptions POST /v1/audio/transcriptions",
        "v1-audio-translations POST /v1/audio/translations",
        "v1-audio-speech POST /v1/audio/speech",
        "v1-responses-create POST /v1/responses",
        "v1-responses-get GET /v1/responses/{response-id} response-id",
        "v1-responses-delete DELETE /v1/responses/{response-id} response-id",
        "v1-responses-input-items GET /v1/responses/{response-id}/input_items response-id",
        "v1-responses-cancel POST /v1/responses/{response-id}/cancel response-id",
        "v1-models-list GET /v1/models",
        "v1-models-get GET /v1/models/{model-id} model-id",
      ].sort(),
    );
  });

  it("marks every template parameter required, as a string", () => {
    const parameters = ofType(prod, T.operation).flatMap(
      (o) => o.inputs.templateParameters as { name: string; type: string; required: boolean }[],
    );
    expect(new Set(parameters.map((p) => `${p.type} ${p.required}`))).toEqual(new Set(["string true"]));
  });

  it("stores the API policy with format xml, ARM's canonical form, whose entity references APIM decodes", () => {
    const policy = named(prod, T.apiPolicy, "api-azure-openai-policy");
    expect([policy.inputs.apiId, policy.inputs.policyId, policy.inputs.format]).toEqual([
      "azure-openai",
      "policy",
      "xml",
    ]);
  });

  it("attaches exactly the text `aoai-gateway render` writes for the stack", () => {
    const rendered = renderPolicies(loadTopology(PINNED_PROD));
    expect(rendered.map((p) => p.scope)).toEqual(["api"]);
    expect(named(prod, T.apiPolicy, "api-azure-openai-policy").inputs.value).toBe(rendered[0].xml);
  });

  it("saves the API policy only after every backend and pool it names exists", () => {
    const backendsAndOperations = [...ofType(prod, T.backend), ...ofType(prod, T.operation)].map((r) => r.name);
    expect(backendsAndOperations.length).toBe(10 + API_OPERATIONS.length);
    expect([...named(prod, T.apiPolicy, "api-azure-openai-policy").dependsOn].sort()).toEqual(
      backendsAndOperations.sort(),
    );
  });

  it("publishes one product with the API and one active subscription per consumer, scoped to the product", () => {
    expect(named(prod, T.product, "api-product").inputs).toMatchObject({
      productId: "aoai-gateway",
      subscriptionRequired: true,
      approvalRequired: false,
      state: "published",
    });
    expect(named(prod, T.productApi, "api-product-api").inputs).toMatchObject({
      productId: "aoai-gateway",
      apiId: "azure-openai",
    });
    expect(ofType(prod, T.subscription).map((s) => [s.inputs.sid, s.inputs.scope, s.inputs.state])).toEqual([
      ["chat-app", "/products/aoai-gateway", "active"],
      ["search-indexer", "/products/aoai-gateway", "active"],
    ]);
  });

  it("keeps subscription keys secret in state", () => {
    expect(ofType(prod, T.subscription).map((s) => s.options.additionalSecretOutputs)).toEqual([
      ["primaryKey", "secondaryKey"],
      ["primaryKey", "secondaryKey"],
    ]);
  });
});

describe("stack outputs", () => {
  it("exports the gateway URL", () => {
    expect(prod.outputs.gatewayUrl).toBe("https://contoso-ai-554e8197.azure-api.net");
  });

  it("exports each route's endpoint", () => {
    expect(prod.outputs.routeEndpoints).toEqual({
      "gpt-4.1-mini": "https://contoso-ai-554e8197.azure-api.net/openai/deployments/gpt-4.1-mini",
      "gpt-4o": "https://contoso-ai-554e8197.azure-api.net/openai/deployments/gpt-4o",
    });
  });

  it("exports every backend with subscription, region, priority and weight", () => {
    expect((prod.outputs.backends as Record<string, unknown>[]).filter((b) => b.route === "gpt-4o")).toEqual([
      {
        route: "gpt-4o",
        backendId: "aoai-prod-hub-swedencentral-gpt-4o",
        pool: "pool-gpt-4o",
        account: "prod-hub-swedencentral",
        subscription: "prod-hub",
        subscriptionId: "00000000-0000-0000-0000-0000000a0001",
        location: "swedencentral",
        sku: "GlobalProvisionedManaged",
        capacity: 50,
        priority: 1,
        weight: 100,
        spilloverDeployment: null,
      },
      {
        route: "gpt-4o",
        backendId: "aoai-prod-east-eastus2-gpt-4o",
        pool: "pool-gpt-4o",
        account: "prod-east-eastus2",
        subscription: "prod-east",
        subscriptionId: "00000000-0000-0000-0000-0000000a0002",
        location: "eastus2",
        sku: "GlobalStandard",
        capacity: 450,
        priority: 2,
        weight: 50,
        spilloverDeployment: null,
      },
      {
        route: "gpt-4o",
        backendId: "aoai-prod-west-westus3-gpt-4o",
        pool: "pool-gpt-4o",
        account: "prod-west-westus3",
        subscription: "prod-west",
        subscriptionId: "00000000-0000-0000-0000-0000000a0003",
        location: "westus3",
        sku: "GlobalStandard",
        capacity: 450,
        priority: 2,
        weight: 50,
        spilloverDeployment: null,
      },
      {
        route: "gpt-4o",
        backendId: "aoai-prod-eu-francecentral-gpt-4o",
        pool: "pool-gpt-4o",
        account: "prod-eu-francecentral",
        subscription: "prod-eu",
        subscriptionId: "00000000-0000-0000-0000-0000000a0004",
        location: "francecentral",
        sku: "DataZoneStandard",
        capacity: 300,
        priority: 3,
        weight: 100,
        spilloverDeployment: null,
      },
    ]);
  });

  it("exports each consumer's key", () => {
    expect(prod.outputs.consumerKeys).toEqual({
      "chat-app": "mock-key-chat-app",
      "search-indexer": "mock-key-search-indexer",
    });
  });
});
