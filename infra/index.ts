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
import { PrivateEndpoints } from "./components/network";
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
const apim = new ApiGateway("gateway", {
  gateway: topology.gateway,
  provider: gatewayProvider,
  tags: topology.tags,
  network: topology.network,
  providers,
});
// Private endpoints to every account and, optionally, to the gateway (issue #20).
const endpoints =
  topology.network && apim.network
    ? new PrivateEndpoints("private-endpoints", {
        network: topology.network,
        gatewayNetwork: apim.network,
        accountIds: new Map([...fleet.accounts.entries()].map(([key, a]) => [key, a.accountId])),
        serviceId: apim.serviceId,
        gatewayResourceGroupName: apim.resourceGroupName,
        gatewayResourceGroup: topology.gateway.resourceGroup.name,
        providers,
        tags: topology.tags,
      })
    : undefined;
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
  // The policy (the gateway routing) waits for every backend, and for private name resolution of every
  // account: before its zone group and link exist the gateway would resolve public addresses (403, #20).
  policyDependsOn: [...members.backends.values(), ...members.pools.values(), ...(endpoints?.readyForRouting ?? [])],
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
      responseSealKey: api.responseSealKey,
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
const plan = createPlan(topology);
export const backends = plan.routes.flatMap((route) =>
  route.members.flatMap(({ share, groupShare, capacityTpm, rpm, spillover, ...member }) => [
    {
      route: route.deployment,
      pool: topology.routingMode === "pool" ? poolId(route.deployment) : null,
      ...member,
    },
    // A native spillover deployment is shown inside its PTU member (issue #17) but is still an APIM
    // backend of a route of its own name; list it once.
    ...(spillover && !plan.routes.some((r) => r.deployment === spillover.deployment)
      ? [
          {
            route: spillover.deployment,
            pool: topology.routingMode === "pool" ? poolId(spillover.deployment) : null,
            ...member,
            backendId: spillover.backendId,
            sku: spillover.sku,
            capacity: spillover.capacity,
            spilloverDeployment: null,
            spilloverOf: member.backendId,
          },
        ]
      : []),
  ]),
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
/** Primary key of the operator subscription (secret): `aoai-gateway smoke --key` after `up` (issue #21). */
export const operatorKey = api.operatorKey;
/** Usable tokens per minute over every route. */
export const totalTpm = topology.totalTpm;
export const routingMode = topology.routingMode;
export const apimServiceName = apim.serviceName;
export const gatewayPrincipalId = apim.principalId;
/** The private network (null without aoai-gateway:network): mode, endpoints and zones. */
export const network = topology.network
  ? {
      mode: topology.network.mode,
      privateEndpoints: [...(endpoints?.connections.entries() ?? [])].map(([key, c]) => ({ key, id: c.endpointId })),
      openaiZoneId: apim.network?.openaiZoneId,
    }
  : null;
/** Where telemetry goes (null when monitoring is off). */
export const monitoringResources = monitoring
  ? { workspaceId: monitoring.workspaceId, appInsightsId: monitoring.appInsightsId, workbookId: workbook?.workbookId }
  : null;
