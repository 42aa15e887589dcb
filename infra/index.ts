/**
 * The aoai-gateway Pulumi program: stack config -> validated config ->
 * topology -> resources. Thin on purpose: the logic lives in config/ and
 * model/ (pure) and in one component per concern (components/).
 */
import { Alerts } from "./components/alerts";
import { ApiGateway } from "./components/api-gateway";
import { OpenAiFleet } from "./components/fleet";
import { GatewayAccess } from "./components/gateway-access";
import { GatewayApi } from "./components/gateway-api";
import { consumerKeySecrets, furtherGateways } from "./components/gateway-regions";
import { GatewayBackends } from "./components/gateway-backends";
import { Monitoring } from "./components/monitoring";
import { GatewayWorkbook } from "./components/workbook";
import { poolId, routeEndpoint } from "./model/names";
import { createPlan } from "./model/plan";
import { renderPolicies } from "./policies/render";
import { createProviders, providerFor } from "./providers";
import { loadProgramTopology } from "./stack-config";

const topology = loadProgramTopology();
const providers = createProviders(topology.subscriptions);
const gatewayProvider = providerFor(providers, topology.gateway.subscription.alias);

const fleet = new OpenAiFleet("fleet", { topology, providers });
const apim = new ApiGateway("gateway", { gateway: topology.gateway, provider: gatewayProvider, tags: topology.tags });
const service = { serviceName: apim.serviceName, resourceGroupName: apim.resourceGroupName };
const members = new GatewayBackends("backends", {
  topology,
  ...service,
  accounts: fleet.accounts,
  provider: gatewayProvider,
});
new GatewayAccess("access", { topology, principalId: apim.principalId, accounts: fleet.accounts, providers });
// Several v2 gateways behind Front Door (issue #22) take the same consumer keys everywhere: set explicitly.
const keySecrets = topology.gateway.frontDoor ? consumerKeySecrets("consumer-keys", topology) : undefined;
const api = new GatewayApi("api", {
  topology,
  ...service,
  provider: gatewayProvider,
  policies: renderPolicies(topology),
  policyDependsOn: [...members.backends.values(), ...members.pools.values()],
  consumerKeySecrets: keySecrets,
});

// Telemetry, alerts and the workbook (issue #12): on unless aoai-gateway:monitoring.enabled is false.
const monitoring = topology.monitoring.enabled
  ? new Monitoring("monitoring", {
      topology,
      provider: gatewayProvider,
      ...service,
      serviceId: apim.serviceId,
      apiName: api.apiName,
      tags: topology.tags,
    })
  : undefined;
// Further v2 gateways and their Front Door exist only with a Front Door (classic Premium: one service).
const regional = topology.gateway.frontDoor
  ? furtherGateways("regions", {
      topology,
      providers,
      provider: gatewayProvider,
      accounts: fleet.accounts,
      resourceGroupName: apim.resourceGroupName,
      primaryHost: apim.serviceName.apply((n) => `${n}.azure-api.net`),
      consumerKeySecrets: keySecrets,
      telemetry: monitoring && {
        workspaceId: monitoring.workspaceId,
        appInsightsId: monitoring.appInsightsId,
        connectionString: monitoring.connectionString,
      },
    })
  : undefined;
if (monitoring && topology.monitoring.alerts.enabled) {
  new Alerts("alerts", {
    topology,
    providers,
    resourceGroupName: apim.resourceGroupName,
    workspaceId: monitoring.workspaceId,
    accounts: fleet.accounts,
    tags: topology.tags,
  });
}
const workbook = monitoring
  ? new GatewayWorkbook("workbook", {
      topology,
      provider: gatewayProvider,
      resourceGroupName: apim.resourceGroupName,
      workspaceId: monitoring.workspaceId,
      tags: topology.tags,
    })
  : undefined;

/** The one endpoint clients use as their Azure OpenAI endpoint (the Front Door's, with several v2 gateways). */
export const gatewayUrl = regional?.frontDoorUrl ?? apim.gatewayUrl;
/** Every gateway region and the URL that reaches it directly (issue #22). */
export const gatewayRegions = topology.gateway.regions.map((r) => ({
  location: r.location,
  url: r.url,
  primary: r.primary,
}));
/** Per route: the URL of its deployment path. */
export const routeEndpoints = gatewayUrl.apply((url) =>
  Object.fromEntries(topology.routes.map((r) => [r.name, routeEndpoint(url, r.name)])),
);
/** Every pool member with where it runs and how it is weighted (the plan's members, with their APIM ids). */
export const backends = createPlan(topology).routes.flatMap((route) =>
  route.members.map(({ share, groupShare, capacityTpm, rpm, ...member }) => ({
    route: route.deployment,
    pool: topology.routingMode === "pool" ? poolId(route.deployment) : null,
    ...member,
  })),
);
/** Each account's endpoint, ARM id and deployments. */
export const accounts = [...fleet.accounts.entries()].map(([key, account]) => ({
  key,
  endpoint: account.endpoint,
  id: account.accountId,
  deployments: account.deploymentNames,
}));
/** Primary subscription key per consumer team (secret). */
export const consumerKeys = api.consumerKeys;
/** Usable tokens per minute over every route. */
export const totalTpm = topology.totalTpm;
export const routingMode = topology.routingMode;
export const apimServiceName = apim.serviceName;
export const gatewayPrincipalId = apim.principalId;
/** Where telemetry goes (null when monitoring is off). */
export const monitoringResources = monitoring
  ? { workspaceId: monitoring.workspaceId, appInsightsId: monitoring.appInsightsId, workbookId: workbook?.workbookId }
  : null;
