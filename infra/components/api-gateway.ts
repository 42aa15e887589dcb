/**
 * The API Management service in the gateway subscription (issue #4): tier and
 * units from config, a system-assigned identity for keyless calls to Azure
 * OpenAI.
 *
 * Every tier of the config contract deploys:
 * - Classic tiers, Consumption, Basic v2 and Standard v2 use the typed
 *   `apimanagement.ApiManagementService` at the SDK's API version (2024-05-01
 *   in @pulumi/azure-native 3.28, which knows the v2 SKUs).
 * - Premium v2 first appears in the Microsoft.ApiManagement 2025-03-01-preview
 *   API; 2024-05-01 rejects it. azure-native v3 no longer ships versioned
 *   modules (a local SDK needs `pulumi package add`, which is not reproducible
 *   from `npm ci`), so Premium v2 is created as a generic ARM resource pinned to
 *   that API version, with its properties typed by `ApimServiceProperties`.
 *   Switching a stack to or from Premium v2 replaces the service: the new
 *   one gets a name of its own (model/names.ts apimServiceName) and is
 *   created before the old one is deleted; the gateway URL and consumer keys
 *   change (docs/changing-a-stack.md).
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkModel } from "../model/network";
import { type GatewayRegionModel, TIER_REGIONS } from "../model/gateway-regions";
import type { GatewayModel } from "../model/topology";
import type { Providers } from "../providers";
import { GatewayNetwork, InternalGatewayDns } from "./network";

/** The first private address of an Internal service, from the typed service's output or the generic resource's properties. */
export function firstPrivateIp(addresses: unknown): string {
  const first: unknown = Array.isArray(addresses) ? (addresses as unknown[])[0] : undefined;
  if (typeof first !== "string") throw new Error("API Management in Internal mode returned no private IP address");
  return first;
}

/** First Microsoft.ApiManagement API version that accepts the PremiumV2 SKU. */
export const PREMIUM_V2_API_VERSION = "2025-03-01-preview";

/** The properties of Microsoft.ApiManagement/service this program sets (ARM names). */
export interface ApimServiceProperties {
  readonly publisherEmail: string;
  readonly publisherName: string;
  /** External (v2 outbound integration, classic external injection) or Internal (injection); absent: None. */
  readonly virtualNetworkType?: string;
  readonly virtualNetworkConfiguration?: { readonly subnetResourceId: pulumi.Input<string> };
  /** Classic stv2 injection: the service's Standard public IPv4. */
  readonly publicIpAddressId?: pulumi.Input<string>;
  /** Sent only as Disabled (network.gatewayPublicNetworkAccess), after the inbound endpoint exists. */
  readonly publicNetworkAccess?: string;
  /** "Disabled": no developer portal handing out keys (issue #18). */
  readonly developerPortalStatus: string;
}

/**
 * The service's network properties (issue #20), the same ARM names on the typed service (2024-05-01)
 * and on Premium v2's generic resource (2025-03-01-preview): virtualNetworkType External with a subnet is
 * outbound integration on the v2 tiers and external injection on classic ones; Internal is injection.
 * Public network access is sent only when network.gatewayPublicNetworkAccess is Disabled: Azure refuses
 * Disabled when the service is created and until an approved private endpoint exists
 * (hashicorp/terraform-provider-azurerm#21506, Azure/azure-rest-api-specs#24947), so it is a second `up`.
 */
export function networkProperties(
  network: NetworkModel | null,
  subnetId: pulumi.Input<string> | undefined,
  publicIpId: pulumi.Input<string> | undefined,
): Pick<
  ApimServiceProperties,
  "virtualNetworkType" | "virtualNetworkConfiguration" | "publicIpAddressId" | "publicNetworkAccess"
> {
  if (network === null || subnetId === undefined) return {};
  return {
    virtualNetworkType: network.virtualNetworkType,
    virtualNetworkConfiguration: { subnetResourceId: subnetId },
    ...(publicIpId === undefined ? {} : { publicIpAddressId: publicIpId }),
    ...(network.gatewayPublicNetworkAccess === "Disabled" ? { publicNetworkAccess: "Disabled" } : {}),
  };
}

/**
 * Classic tiers take 30-60+ minutes to create or scale (Microsoft's docs),
 * longer than azure-native's default wait; v2 tiers take minutes.
 */
export function apimTimeouts(gateway: GatewayModel): pulumi.CustomTimeouts {
  if (gateway.tier.family !== "classic") return { create: "1h", update: "1h", delete: "1h" };
  // Adding or removing an additional location is a long-running update of the whole service (45+ minutes
  // per location in users' reports, issue #22): two more hours per further location.
  const extra = 2 * additionalLocations(gateway).length;
  return { create: `${3 + extra}h`, update: `${3 + extra}h`, delete: `${2 + extra}h` };
}

/**
 * Classic Premium's further regions (issue #22): one entry per location with its own units and zones. Zones
 * are sent only where the stack sets them: an empty list is not "no zones" to ARM, and a location's zones
 * could not be unset once sent (hashicorp/terraform-provider-azurerm#17515).
 */
export function additionalLocations(gateway: GatewayModel): azure.types.input.apimanagement.AdditionalLocationArgs[] {
  if (TIER_REGIONS[gateway.sku].multiRegion !== "additionalLocations") return [];
  return gateway.regions
    .filter((r) => !r.primary)
    .map((r) => ({
      location: r.location,
      sku: { name: gateway.sku, capacity: r.capacity },
      ...(r.zones.length > 0 ? { zones: [...r.zones] } : {}),
    }));
}

/** Zones of one service's own location, only when set (see additionalLocations). */
export function serviceZones(region: GatewayRegionModel): { zones?: string[] } {
  return region.zones.length > 0 ? { zones: [...region.zones] } : {};
}

/**
 * azure-native sends enableClientCertificate=false when it is unset, which the
 * classic dedicated tiers reject ("Setting EnableClientCertificate flag to
 * false is not supported for Developer SKU", pulumi-azure-native#1741/#1865).
 * On Consumption, true would demand a client certificate on every call, so it
 * stays false there; v2 tiers accept false.
 */
export function enableClientCertificate(gateway: GatewayModel): boolean {
  return gateway.tier.family === "classic";
}

/**
 * Portal switches. azure-native sends developerPortalStatus and
 * legacyPortalStatus "Enabled" when unset, so leaving them out still sends
 * them (issue #11). Both are "Disabled" on every tier (issue #18):
 * - The legacy developer portal was retired in October 2023
 *   (Azure/API-Management#4); the v2 tiers and Consumption never had one.
 * - The developer portal hands out subscription keys to anyone who signs up
 *   once it is published; this gateway's keys come from `pulumi stack output
 *   consumerKeys`, so the portal is only attack surface. Microsoft documents
 *   turning it off with developerPortalStatus (MicrosoftDocs/azure-docs#122318:
 *   PATCH of LegacyPortalStatus and developerPortalStatus); Consumption has no
 *   portal at all, so "Disabled" states what is there. Premium v2 (the generic
 *   resource at 2025-03-01-preview) gets the same property.
 */
export function portalStatus(): { developerPortalStatus: string; legacyPortalStatus: string } {
  return { developerPortalStatus: "Disabled", legacyPortalStatus: "Disabled" };
}

export interface ApiGatewayArgs {
  /** Required. The gateway as modelled by the topology. */
  readonly gateway: GatewayModel;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Optional. Tags for the service and its resource group. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Optional. The gateway's private network (issue #20). Default: none, the service is outside any network. */
  readonly network?: NetworkModel | null;
  /** Required with network: providers by alias (zones linked in other subscriptions). */
  readonly providers?: Providers;
  /**
   * Optional. The gateway region this service serves (v2 tiers: one service per region, issue #22).
   * Default: the primary region, which on classic Premium carries every additional location.
   */
  readonly region?: GatewayRegionModel;
  /** Optional. Resource group to create the service in (a further v2 region shares the primary's). Default: the gateway's. */
  readonly resourceGroupName?: pulumi.Input<string>;
}

export class ApiGateway extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly serviceId: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  /** Principal of the service's system-assigned identity (known after create). */
  public readonly principalId: pulumi.Output<string>;
  /** `https://<service>.azure-api.net` */
  public readonly gatewayUrl: pulumi.Output<string>;
  /** The private network, when the stack has one (issue #20). */
  public readonly network: GatewayNetwork | undefined;

  constructor(name: string, args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:ApiGateway", name, {}, opts);
    const { gateway, provider } = args;
    const region = args.region ?? gateway.regions[0];
    const tags = { ...(args.tags ?? {}) };
    const child = { parent: this, provider };

    const resourceGroupName: pulumi.Output<string> = args.resourceGroupName
      ? pulumi.output(args.resourceGroupName)
      : gateway.resourceGroup.existing
        ? pulumi.output(gateway.resourceGroup.name)
        : new azure.resources.ResourceGroup(
            `${name}-rg`,
            { resourceGroupName: gateway.resourceGroup.name, location: gateway.location, tags },
            child,
          ).name;

    this.network = args.network
      ? new GatewayNetwork(
          `${name}-network`,
          {
            network: args.network,
            resourceGroupName,
            location: gateway.location,
            provider,
            providers: args.providers ?? new Map(),
            tags,
          },
          { parent: this },
        )
      : undefined;
    const properties: ApimServiceProperties = {
      publisherEmail: gateway.publisherEmail,
      publisherName: gateway.publisherName,
      ...networkProperties(args.network ?? null, this.network?.gatewaySubnetId, this.network?.publicIpId),
      developerPortalStatus: portalStatus().developerPortalStatus,
    };
    const serviceOpts = { ...child, customTimeouts: apimTimeouts(gateway) };

    let identity: pulumi.Output<{ principalId?: string } | undefined>;
    // Read only in Internal mode: other services have no private address, and the apply would fail.
    let privateIp: () => pulumi.Output<string>;
    if (gateway.sku === "PremiumV2") {
      const service = new azure.resources.Resource(
        name,
        {
          resourceGroupName,
          resourceProviderNamespace: "Microsoft.ApiManagement",
          parentResourcePath: "",
          resourceType: "service",
          resourceName: region.serviceName,
          apiVersion: PREMIUM_V2_API_VERSION,
          location: region.location,
          sku: { name: gateway.sku, capacity: region.capacity },
          identity: { type: azure.resources.ResourceIdentityType.SystemAssigned },
          properties,
          tags,
        },
        serviceOpts,
      );
      this.serviceName = service.name;
      this.serviceId = service.id;
      identity = service.identity;
      privateIp = () =>
        service.properties.apply((p: unknown) =>
          firstPrivateIp(
            p !== null && typeof p === "object"
              ? (p as { privateIPAddresses?: unknown }).privateIPAddresses
              : undefined,
          ),
        );
    } else {
      const service = new azure.apimanagement.ApiManagementService(
        name,
        {
          serviceName: region.serviceName,
          resourceGroupName,
          location: region.location,
          sku: { name: gateway.sku, capacity: region.capacity },
          ...serviceZones(region),
          ...(region.primary && additionalLocations(gateway).length > 0
            ? { additionalLocations: additionalLocations(gateway) }
            : {}),
          identity: { type: azure.apimanagement.ApimIdentityType.SystemAssigned },
          ...properties,
          enableClientCertificate: enableClientCertificate(gateway),
          ...portalStatus(),
          tags,
        },
        serviceOpts,
      );
      this.serviceName = service.name;
      this.serviceId = service.id;
      identity = service.identity;
      privateIp = () => service.privateIPAddresses.apply(firstPrivateIp);
    }
    if (args.network?.internalGatewayZone && this.network) {
      new InternalGatewayDns(
        `${name}-internal-dns`,
        {
          zone: args.network.internalGatewayZone,
          privateIp: privateIp(),
          virtualNetworkId: this.network.virtualNetworkId,
          resourceGroupName,
          provider,
          tags,
        },
        { parent: this },
      );
    }

    this.resourceGroupName = resourceGroupName;
    this.principalId = identity.apply((i) => {
      if (!i?.principalId)
        throw new Error(`API Management service ${region.serviceName} returned no system-assigned identity`);
      return i.principalId;
    });
    this.gatewayUrl = pulumi.interpolate`https://${this.serviceName}.azure-api.net`;
    this.registerOutputs({
      serviceName: this.serviceName,
      serviceId: this.serviceId,
      resourceGroupName: this.resourceGroupName,
      principalId: this.principalId,
      gatewayUrl: this.gatewayUrl,
    });
  }
}
