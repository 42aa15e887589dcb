/**
 * APIM backends (issues #4, #9): one per (Azure OpenAI account, deployment),
 * and in pool mode one load-balanced pool per route with each member's
 * priority and weight.
 *
 * Shaped by deploy-time failures users report (docs/troubleshooting.md, "Failure modes the program prevents"):
 * - A pool carries only `type: Pool` and its members: "Url/Protocol is not
 *   supported for backend pool" otherwise (Azure/bicep#14097).
 * - Members are referenced by the member backend's ARM id output, so a pool is
 *   never created before its members ("Backend Entity not found").
 * - One circuit-breaker rule per backend: 429 (and 5xx) trip it, honouring the
 *   backend's Retry-After. Consumption has no circuit breakers; validation only
 *   allows pool mode on tiers that have them.
 * - The backend URL ends in /openai: APIM does not append the API path.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import type { CircuitBreakerConfig } from "../config/schema";
import { regionalPriorities } from "../model/gateway-regions";
import { routePoolFor } from "../policies/render";
import type { Topology } from "../model/topology";
import type { OpenAiAccount } from "./openai-account";

/**
 * The reasons of APIM's predefined errors for a backend that could not be reached
 * (Learn, api-management-error-handling-policies). A member that refuses
 * connections or times out trips like one answering 5xx, so the pool stops
 * picking it (issue #10: without them the pool kept choosing a dead member).
 * ARM takes errorReasons as free strings: Learn's backends example sends
 * "Server errors", users send "timeout" (Azure/bicep-types-az#2281). Which
 * strings the gateway matches is undocumented; the policy's retry fails over
 * on these errors whether or not the breaker counts them.
 */
export const CONNECTION_ERROR_REASONS = ["BackendConnectionFailure", "Timeout"] as const;

/** The circuit-breaker rule every member backend carries in pool mode. */
export function circuitBreakerRule(cb: CircuitBreakerConfig): azure.types.input.apimanagement.CircuitBreakerRuleArgs {
  return {
    name: "openai-throttling",
    failureCondition: {
      count: cb.failureCount,
      interval: cb.interval,
      statusCodeRanges: [{ min: 429, max: 429 }, ...(cb.tripOnServerErrors ? [{ min: 500, max: 599 }] : [])],
      ...(cb.tripOnServerErrors ? { errorReasons: [...CONNECTION_ERROR_REASONS] } : {}),
    },
    tripDuration: cb.tripDuration,
    acceptRetryAfter: cb.acceptRetryAfter,
  };
}

export interface GatewayBackendsArgs {
  /** Required. Accounts, routes and routing mode. */
  readonly topology: Topology;
  /** Required. The APIM service's name and resource group. */
  readonly serviceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The deployed accounts by topology key. */
  readonly accounts: ReadonlyMap<string, OpenAiAccount>;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
}

export class GatewayBackends extends pulumi.ComponentResource {
  /** Member backends by APIM backend id: one per (account, deployment). */
  public readonly backends: ReadonlyMap<string, azure.apimanagement.Backend>;
  /** Pool backends by route name, `<route>@<region>` for a further region's pool (empty in policy mode). */
  public readonly pools: ReadonlyMap<string, azure.apimanagement.Backend>;

  constructor(name: string, args: GatewayBackendsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:GatewayBackends", name, {}, opts);
    const { topology, serviceName, resourceGroupName, provider } = args;
    const child = { parent: this, provider };
    const withBreaker = topology.routingMode === "pool";

    // One backend per route member, i.e. per (account, deployment): Azure OpenAI
    // throttles per deployment, so one deployment's 429 must trip only its own
    // breaker and leave the account's other deployments in their pools (issue #9).
    this.backends = new Map(
      topology.routes.flatMap((route) =>
        route.members.map((m) => {
          const deployed = args.accounts.get(m.accountKey);
          if (!deployed) throw new Error(`account ${m.accountKey} was not deployed`);
          const backend = new azure.apimanagement.Backend(
            `${name}-${m.backendId}`,
            {
              resourceGroupName,
              serviceName,
              backendId: m.backendId,
              title: `${route.name} on ${m.accountKey}`,
              description: `Deployment ${route.name} (${m.deployment.sku}) on Azure OpenAI account ${m.accountKey}: subscription ${m.subscription.alias}, ${m.location}`,
              url: pulumi.interpolate`${deployed.endpoint}openai`,
              protocol: azure.apimanagement.BackendProtocol.Http,
              type: azure.apimanagement.BackendType.Single,
              tls: { validateCertificateChain: true, validateCertificateName: true },
              ...(withBreaker ? { circuitBreaker: { rules: [circuitBreakerRule(topology.circuitBreaker)] } } : {}),
            },
            child,
          );
          return [m.backendId, backend] as const;
        }),
      ),
    );

    const member = (id: string): azure.apimanagement.Backend => {
      const b = this.backends.get(id);
      if (!b) throw new Error(`no backend ${id}`);
      return b;
    };
    // Pools: one per route; with locality on and several gateway regions, one per route and region, each with
    // the members' priorities for that region (issue #22: APIM's pool cannot see the region, the policy picks
    // the region's pool). The primary region's pool keeps the route's pool id.
    this.pools = new Map(
      withBreaker
        ? topology.routes.flatMap((route) => {
            const regions = route.locality !== "off" ? topology.gateway.regions : topology.gateway.regions.slice(0, 1);
            const perRegion = route.locality !== "off" && regions.length > 1;
            return regions.map((region) => {
              const priorities = regionalPriorities(route.members, region.location, route.locality);
              const pool = new azure.apimanagement.Backend(
                region.primary ? `${name}-pool-${route.name}` : `${name}-pool-${route.name}-${region.location}`,
                {
                  resourceGroupName,
                  serviceName,
                  backendId: routePoolFor(route.name, region.location, topology.gateway),
                  description: `Route ${route.name} (model ${route.model}): ${route.members.length} members${
                    perRegion ? `, for gateway region ${region.location} (locality ${route.locality})` : ""
                  }`,
                  type: azure.apimanagement.BackendType.Pool,
                  pool: {
                    services: route.members.map((m, i) => ({
                      id: member(m.backendId).id,
                      priority: route.locality === "off" ? m.priority : priorities[i],
                      weight: m.weight,
                    })),
                  },
                },
                child,
              );
              return [region.primary ? route.name : `${route.name}@${region.location}`, pool] as const;
            });
          })
        : [],
    );
    this.registerOutputs({});
  }
}
