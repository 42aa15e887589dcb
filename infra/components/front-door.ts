/**
 * Azure Front Door in front of several v2 gateways (issue #22): the v2 tiers are single-region, so a stack
 * with further gateway regions gets one API Management service per region and one Front Door profile whose
 * origin group holds every gateway. Front Door, not Traffic Manager: it routes per request (not per DNS TTL),
 * so a client is moved off a failed region within the probe window instead of after its resolver's cache
 * expires, and it terminates TLS on a Microsoft host name that needs no certificate of ours.
 *
 * Shaped by deploy-time failures users report (docs/multi-region.md, "Failure modes"):
 * - The health probe must reach something that answers without a key: an API path answers 401 to the probe,
 *   every origin is marked unhealthy. It probes API Management's own health endpoint
 *   (`/status-0123456789abcdef`, Learn: "Configure Front Door in front of API Management"), answered by the
 *   gateway without a subscription key and without calling any backend.
 * - `originHostHeader` is the gateway's own host: API Management routes by host name, so Front Door's host
 *   reaches it as an unknown host (404), and the certificate name check fails.
 * - Front Door's default origin response timeout is 60 s; a long completion or a stream would end in a 504
 *   there, so the profile waits the maximum, 240 s.
 * - The route needs its origins first ("origin group has no origins"): it depends on every origin.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { FRONT_DOOR, GATEWAY_STATUS_PATH } from "../model/gateway-regions";
import type { FrontDoorModel } from "../model/gateway-regions";

/** Front Door's longest origin response timeout (seconds); the default of 60 cuts long completions. */
export const ORIGIN_RESPONSE_TIMEOUT_SECONDS = 240;

/** Probe settings: every 30 s, GET over HTTPS on the gateway's health endpoint. */
export function healthProbe(): azure.types.input.cdn.HealthProbeParametersArgs {
  return {
    probePath: GATEWAY_STATUS_PATH,
    probeProtocol: azure.cdn.ProbeProtocol.Https,
    probeRequestType: azure.cdn.HealthProbeRequestType.GET,
    probeIntervalInSeconds: 30,
  };
}

/** One origin per gateway: its host name, and the same host as the origin host header. */
export function originArgs(hostName: pulumi.Input<string>): {
  hostName: pulumi.Input<string>;
  originHostHeader: pulumi.Input<string>;
  httpsPort: number;
  enforceCertificateNameCheck: boolean;
  priority: number;
  weight: number;
} {
  // Equal priority and weight: Front Door sends each client to the lowest-latency healthy gateway.
  return {
    hostName,
    originHostHeader: hostName,
    httpsPort: 443,
    enforceCertificateNameCheck: true,
    priority: 1,
    weight: 1000,
  };
}

export interface GatewayFrontDoorArgs {
  /** Required. The Front Door as modelled by the topology. */
  readonly frontDoor: FrontDoorModel;
  /** Required. Resource group of the profile (the gateway's). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. Each gateway's host name (`<service>.azure-api.net`), by region. */
  readonly gatewayHosts: ReadonlyMap<string, pulumi.Input<string>>;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

export class GatewayFrontDoor extends pulumi.ComponentResource {
  /** `https://<endpoint host>`: the URL clients use. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: GatewayFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:GatewayFrontDoor", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const { frontDoor, resourceGroupName } = args;
    const tags = { ...(args.tags ?? {}) };
    const profile = new azure.cdn.Profile(
      `${name}-profile`,
      {
        profileName: frontDoor.profileName,
        resourceGroupName,
        location: "global",
        sku: { name: FRONT_DOOR.sku },
        originResponseTimeoutSeconds: ORIGIN_RESPONSE_TIMEOUT_SECONDS,
        tags,
      },
      child,
    );
    const endpoint = new azure.cdn.AFDEndpoint(
      `${name}-endpoint`,
      {
        endpointName: frontDoor.endpointName,
        profileName: profile.name,
        resourceGroupName,
        location: "global",
        enabledState: azure.cdn.EnabledState.Enabled,
        tags,
      },
      child,
    );
    const group = new azure.cdn.AFDOriginGroup(
      `${name}-gateways`,
      {
        originGroupName: "gateways",
        profileName: profile.name,
        resourceGroupName,
        healthProbeSettings: healthProbe(),
        // Unhealthy after 2 of the last 4 probes fail; 50 ms latency band so nearby gateways share traffic.
        loadBalancingSettings: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 },
        sessionAffinityState: azure.cdn.EnabledState.Disabled,
      },
      child,
    );
    const origins = [...args.gatewayHosts.entries()].map(
      ([region, host]) =>
        new azure.cdn.AFDOrigin(
          `${name}-origin-${region}`,
          {
            originName: `gateway-${region}`,
            originGroupName: group.name,
            profileName: profile.name,
            resourceGroupName,
            ...originArgs(host),
            enabledState: azure.cdn.EnabledState.Enabled,
          },
          child,
        ),
    );
    new azure.cdn.Route(
      `${name}-route`,
      {
        routeName: "openai",
        endpointName: endpoint.name,
        profileName: profile.name,
        resourceGroupName,
        originGroup: { id: group.id },
        supportedProtocols: [azure.cdn.AFDEndpointProtocols.Https],
        patternsToMatch: ["/*"],
        forwardingProtocol: azure.cdn.ForwardingProtocol.HttpsOnly,
        httpsRedirect: azure.cdn.HttpsRedirect.Disabled,
        linkToDefaultDomain: azure.cdn.LinkToDefaultDomain.Enabled,
        enabledState: azure.cdn.EnabledState.Enabled,
      },
      { ...child, dependsOn: origins },
    );
    this.url = pulumi.interpolate`https://${endpoint.hostName}`;
    this.registerOutputs({ url: this.url });
  }
}
