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
import { type GatewayRegionModel, TIER_REGIONS } from "../model/gateway-regions";
import type { GatewayModel } from "../model/topology";

/** First Microsoft.ApiManagement API version that accepts the PremiumV2 SKU. */
export const PREMIUM_V2_API_VERSION = "2025-03-01-preview";

/** The properties of Microsoft.ApiManagement/service this program sets (ARM names). */
export interface ApimServiceProperties {
  readonly publisherEmail: string;
  readonly publisherName: string;
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
 * Portal switches for the typed service. azure-native sends
 * developerPortalStatus and legacyPortalStatus "Enabled" when unset, so
 * leaving them out still sends them (issue #11):
 * - The legacy developer portal was retired in October 2023
 *   (Azure/API-Management#4) and the v2 tiers and Consumption never had one:
 *   it is "Disabled" everywhere.
 * - Consumption has no developer portal (Microsoft's feature comparison,
 *   learn.microsoft.com/azure/api-management/api-management-features): "Disabled".
 *   The other typed tiers keep the SDK's "Enabled" (a portal exists there).
 * Premium v2 is the generic resource and sends only publisherEmail and
 * publisherName, so none of these reach it.
 */
export function portalStatus(gateway: GatewayModel): { developerPortalStatus: string; legacyPortalStatus: string } {
  return {
    developerPortalStatus: gateway.tier.family === "consumption" ? "Disabled" : "Enabled",
    legacyPortalStatus: "Disabled",
  };
}

export interface ApiGatewayArgs {
  /** Required. The gateway as modelled by the topology. */
  readonly gateway: GatewayModel;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Optional. Tags for the service and its resource group. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
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

    const properties: ApimServiceProperties = {
      publisherEmail: gateway.publisherEmail,
      publisherName: gateway.publisherName,
    };
    const serviceOpts = { ...child, customTimeouts: apimTimeouts(gateway) };

    let identity: pulumi.Output<{ principalId?: string } | undefined>;
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
          ...portalStatus(gateway),
          tags,
        },
        serviceOpts,
      );
      this.serviceName = service.name;
      this.serviceId = service.id;
      identity = service.identity;
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
