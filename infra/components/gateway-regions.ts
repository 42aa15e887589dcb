/**
 * Further gateway regions on the v2 tiers (issue #22). Basic v2, Standard v2 and Premium v2 run one region per
 * service, so each further region is a service of its own with the same backends, pools, policy, API,
 * product and consumer subscriptions as the primary, its own managed identity (with its own role assignments
 * on every account), and one Azure Front Door in front of all of them.
 *
 * What stays in step, and how:
 * - Consumer keys: every gateway's subscription for a team gets the same primary and secondary key, from
 *   `@pulumi/random` passwords (Pulumi secrets, stable across `up`s). APIM would otherwise generate a
 *   different key per service and a request that Front Door sends to the other region would get 401.
 * - Policies, backends and pools: rendered once from the topology, so every gateway gets the same text.
 * - Named values (the response-sealing MAC key of #18): created from the same random secret in every gateway.
 * - Telemetry: every region's logger and diagnostics report to the primary's workspace and Application Insights.
 *
 * Classic Premium needs none of this: its additional locations are one service (api-gateway.ts).
 */
import type * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Topology } from "../model/topology";
import { renderPolicies } from "../policies/render";
import type { Providers } from "../providers";
import { ApiGateway } from "./api-gateway";
import { GatewayFrontDoor } from "./front-door";
import { GatewayAccess } from "./gateway-access";
import { OPERATOR_SUBSCRIPTION_ID } from "../model/names";
import { type ConsumerKeySecrets, GatewayApi } from "./gateway-api";
import { GatewayBackends } from "./gateway-backends";
import { Monitoring, type SharedTelemetry } from "./monitoring";
import type { OpenAiAccount } from "./openai-account";

/** Length of a generated subscription key (APIM accepts up to 256 characters). */
export const CONSUMER_KEY_LENGTH = 48;

/** The keys every gateway gives each consumer: two random secrets per team (issue #22). */
export class ConsumerKeys extends pulumi.ComponentResource {
  public readonly keys: ReadonlyMap<string, ConsumerKeySecrets>;

  constructor(name: string, args: { readonly topology: Topology }, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:ConsumerKeys", name, {}, opts);
    const key = (id: string) =>
      new random.RandomPassword(id, { length: CONSUMER_KEY_LENGTH, special: false }, { parent: this }).result;
    // The operator's keys too (#21): `aoai-gateway smoke` must reach every gateway with one key. A consumer
    // may not take the operator's name (validation), so the map holds both.
    this.keys = new Map(
      [...args.topology.consumers.map((c) => c.name), OPERATOR_SUBSCRIPTION_ID].map((n) => [
        n,
        { primary: key(`${name}-${n}-primary`), secondary: key(`${name}-${n}-secondary`) },
      ]),
    );
    this.registerOutputs({});
  }
}

/** The consumer keys of a stack with several v2 gateways. */
export function consumerKeySecrets(name: string, topology: Topology): ReadonlyMap<string, ConsumerKeySecrets> {
  return new ConsumerKeys(name, { topology }).keys;
}

export interface RegionalGatewaysArgs {
  /** Required. The topology (gateway regions, routes, consumers). */
  readonly topology: Topology;
  /** Required. One provider per subscription alias (role assignments in each account's subscription). */
  readonly providers: Providers;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Required. The deployed accounts by topology key. */
  readonly accounts: ReadonlyMap<string, OpenAiAccount>;
  /** Required. The primary gateway's resource group (further gateways and the Front Door join it). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The primary gateway's host name. */
  readonly primaryHost: pulumi.Input<string>;
  /** Optional. Consumer keys every gateway sets (required with a Front Door). */
  readonly consumerKeySecrets?: ReadonlyMap<string, ConsumerKeySecrets>;
  /** Required with a Front Door. The primary gateway's response seal key (#18), shared by every gateway. */
  readonly responseSealKey?: pulumi.Input<string>;
  /** Optional. The primary's workspace and Application Insights, which every region reports to. Default: no monitoring. */
  readonly telemetry?: SharedTelemetry;
}

export class RegionalGateways extends pulumi.ComponentResource {
  /** The Front Door URL, or undefined when the stack has one gateway service. */
  public readonly frontDoorUrl: pulumi.Output<string> | undefined;
  /** Each gateway region with the URL that reaches it directly. */
  public readonly regionUrls: pulumi.Output<{ location: string; url: string; primary: boolean }[]>;

  constructor(name: string, args: RegionalGatewaysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:RegionalGateways", name, {}, opts);
    const { topology, provider } = args;
    const frontDoor = topology.gateway.frontDoor;
    const hosts = new Map<string, pulumi.Input<string>>([[topology.gateway.location, args.primaryHost]]);
    if (frontDoor) {
      if (!args.consumerKeySecrets) throw new Error("several v2 gateways need explicit consumer keys");
      if (args.responseSealKey === undefined) throw new Error("several v2 gateways need the primary's seal key");
      const policies = renderPolicies(topology);
      for (const region of topology.gateway.regions.filter((r) => !r.primary)) {
        const id = `${name}-${region.location}`;
        const apim = new ApiGateway(
          `${id}-gateway`,
          {
            gateway: topology.gateway,
            provider,
            tags: topology.tags,
            region,
            resourceGroupName: args.resourceGroupName,
          },
          { parent: this },
        );
        const service = { serviceName: apim.serviceName, resourceGroupName: apim.resourceGroupName };
        const members = new GatewayBackends(
          `${id}-backends`,
          { topology, ...service, accounts: args.accounts, provider },
          { parent: this },
        );
        new GatewayAccess(
          `${id}-access`,
          {
            topology,
            principalId: apim.principalId,
            accounts: args.accounts,
            providers: args.providers,
            region: region.location,
          },
          { parent: this },
        );
        const api = new GatewayApi(
          `${id}-api`,
          {
            topology,
            ...service,
            provider,
            policies,
            policyDependsOn: [...members.backends.values(), ...members.pools.values()],
            consumerKeySecrets: args.consumerKeySecrets,
            responseSealKey: args.responseSealKey,
          },
          { parent: this },
        );
        // Token metrics, gateway logs and LLM logs of this region go to the primary's workspace (issue #22).
        if (args.telemetry) {
          new Monitoring(
            `${id}-monitoring`,
            {
              topology,
              provider,
              ...service,
              serviceId: apim.serviceId,
              apiName: api.apiName,
              tags: topology.tags,
              shared: args.telemetry,
            },
            { parent: this },
          );
        }
        hosts.set(
          region.location,
          apim.serviceName.apply((n) => `${n}.azure-api.net`),
        );
      }
      const door = new GatewayFrontDoor(
        `${name}-frontdoor`,
        {
          frontDoor,
          resourceGroupName: args.resourceGroupName,
          gatewayHosts: hosts,
          provider,
          tags: topology.tags,
        },
        { parent: this },
      );
      this.frontDoorUrl = door.url;
    }
    this.regionUrls = pulumi.output(
      topology.gateway.regions.map((r) => ({ location: r.location, url: r.url, primary: r.primary })),
    );
    this.registerOutputs({ regionUrls: this.regionUrls });
  }
}

/** Further v2 gateways and their Front Door; nothing for one region or classic Premium locations. */
export function furtherGateways(name: string, args: RegionalGatewaysArgs): RegionalGateways {
  return new RegionalGateways(name, args);
}
