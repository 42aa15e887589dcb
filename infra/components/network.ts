/**
 * Private networking (issue #20): the gateway's virtual network and subnets, the private DNS zones and
 * their links (GatewayNetwork), and one private endpoint with its DNS zone group per target
 * (PrivateConnections). The model (infra/model/network.ts) decides what exists; this maps it onto
 * resources.
 *
 * Deploy-time failure modes this is shaped by (docs/troubleshooting.md, docs/networking.md):
 * - Subnets of one network are written one at a time: parallel subnet writes fail with
 *   "AnotherOperationInProgress", so the endpoints' subnet waits for API Management's.
 * - API Management's subnet is delegated as its tier and mode need (Microsoft.Web/serverFarms for v2
 *   outbound integration: "VirtualNetworkSubnetHasIncorrectDelegation",
 *   Azure/terraform-azurerm-avm-ptn-aiml-landing-zone#93; Microsoft.Web/hostingEnvironments for Premium v2
 *   injection; none for classic injection) and carries the NSG rules injection needs (Learn, virtual
 *   network configuration reference; graphrag-accelerator#134 "Unable to activate API service").
 * - A zone linked to no network resolves nothing: the gateway then gets the account's public address and,
 *   with public access off, 403 "Public access is disabled" (TabularEditor3#1557). The link is created
 *   here and the routing policy waits for it and for every zone group (index.ts).
 * - Cross-subscription endpoints: the endpoint lives in the network's subscription (its provider); an
 *   automatic connection needs the deployer's approval right on the target, else LinkedAuthorizationFailed
 *   (Azure/azure-sdk-for-go#14306): `privateEndpointApproval: Manual` sends a request instead.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import type { NsgRuleSpec } from "../config/network";
import type { DnsZoneModel, NetworkModel, PrivateEndpointModel } from "../model/network";
import { type Providers, providerFor } from "../providers";

/** An NSG rule for azure-native from the data file's spec. */
export function securityRule(rule: NsgRuleSpec): azure.types.input.network.SecurityRuleArgs {
  return {
    name: rule.name,
    description: rule.purpose,
    direction: rule.direction,
    priority: rule.priority,
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefix: rule.source,
    sourcePortRange: "*",
    destinationAddressPrefix: rule.destination,
    ...(rule.ports.length === 1 ? { destinationPortRange: rule.ports[0] } : { destinationPortRanges: [...rule.ports] }),
  };
}

/** The private link connection of an endpoint: automatic (approved at once when the deployer may) or a manual request. */
export function privateLinkConnection(
  endpoint: PrivateEndpointModel,
  approval: "Automatic" | "Manual",
  targetId: pulumi.Input<string>,
): Pick<azure.network.PrivateEndpointArgs, "privateLinkServiceConnections" | "manualPrivateLinkServiceConnections"> {
  const connection = {
    name: endpoint.name,
    privateLinkServiceId: targetId,
    groupIds: [endpoint.groupId],
    ...(approval === "Manual"
      ? { requestMessage: `aoai-gateway: private endpoint ${endpoint.name} for the gateway (issue #20)` }
      : {}),
  };
  return approval === "Manual"
    ? { manualPrivateLinkServiceConnections: [connection] }
    : { privateLinkServiceConnections: [connection] };
}

export interface GatewayNetworkArgs {
  /** Required. The network as modelled. */
  readonly network: NetworkModel;
  /** Required. The gateway's resource group (created networks, zones and the public IP go there). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The gateway's region. */
  readonly location: string;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Required. Providers by alias, for links to zones in other subscriptions. */
  readonly providers: Providers;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

export class GatewayNetwork extends pulumi.ComponentResource {
  /** API Management's subnet. */
  public readonly gatewaySubnetId: pulumi.Output<string>;
  /** The private endpoints' subnet. */
  public readonly privateEndpointSubnetId: pulumi.Output<string>;
  /** Classic injection: the service's Standard public IP; undefined otherwise. */
  public readonly publicIpId: pulumi.Output<string> | undefined;
  /** privatelink.openai.azure.com */
  public readonly openaiZoneId: pulumi.Output<string>;
  /** privatelink.azure-api.net, when the gateway has an inbound endpoint. */
  public readonly apimZoneId: pulumi.Output<string> | undefined;
  /** The zones' links to the gateway's network: name resolution is private once they exist. */
  public readonly links: readonly pulumi.Resource[];
  /** The network the gateway resolves from (created, or the existing subnets' network). */
  public readonly virtualNetworkId: pulumi.Output<string>;

  constructor(name: string, args: GatewayNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:network:GatewayNetwork", name, {}, opts);
    const { network, provider } = args;
    const tags = { ...(args.tags ?? {}) };
    const child = { parent: this, provider };

    let virtualNetworkId: pulumi.Output<string>;
    if (network.createdNetwork !== null && !network.gatewaySubnet.existing && !network.privateEndpointSubnet.existing) {
      const vnet = new azure.network.VirtualNetwork(
        `${name}-vnet`,
        {
          virtualNetworkName: network.createdNetwork.name,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          addressSpace: { addressPrefixes: [network.createdNetwork.addressSpace] },
          tags,
        },
        // Subnets are separate resources; the network must not send (and so remove) a subnet list.
        { ...child, ignoreChanges: ["subnets"] },
      );
      virtualNetworkId = vnet.id;
      const g = network.gatewaySubnet;
      const nsg =
        g.nsgRules.length > 0
          ? new azure.network.NetworkSecurityGroup(
              `${name}-apim-nsg`,
              {
                networkSecurityGroupName: `${network.createdNetwork.name}-apim-nsg`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                securityRules: g.nsgRules.map(securityRule),
                tags,
              },
              child,
            )
          : undefined;
      const gatewaySubnet = new azure.network.Subnet(
        `${name}-apim`,
        {
          subnetName: g.name,
          virtualNetworkName: vnet.name,
          resourceGroupName: args.resourceGroupName,
          // Premium v2 injection reads the singular addressPrefix (Learn, inject-vnet-v2).
          addressPrefix: g.addressPrefix,
          ...(g.delegation === null
            ? {}
            : { delegations: [{ name: g.delegation.replace("/", "."), serviceName: g.delegation }] }),
          ...(nsg ? { networkSecurityGroup: { id: nsg.id } } : {}),
        },
        child,
      );
      const pe = network.privateEndpointSubnet;
      const endpointSubnet = new azure.network.Subnet(
        `${name}-private-endpoints`,
        {
          subnetName: pe.name,
          virtualNetworkName: vnet.name,
          resourceGroupName: args.resourceGroupName,
          addressPrefix: pe.addressPrefix,
          // Endpoints need no NSG here; Disabled is the value every API version accepts for endpoints
          // (older ones refuse an endpoint in a subnet with network policies on).
          privateEndpointNetworkPolicies: "Disabled",
        },
        // One subnet write at a time per network (AnotherOperationInProgress otherwise).
        { ...child, dependsOn: [gatewaySubnet] },
      );
      this.gatewaySubnetId = gatewaySubnet.id;
      this.privateEndpointSubnetId = endpointSubnet.id;
    } else if (network.gatewaySubnet.existing && network.privateEndpointSubnet.existing && network.existingNetworkId) {
      virtualNetworkId = pulumi.output(network.existingNetworkId);
      this.gatewaySubnetId = pulumi.output(network.gatewaySubnet.id);
      this.privateEndpointSubnetId = pulumi.output(network.privateEndpointSubnet.id);
    } else {
      throw new Error("network model has neither a created network with subnets nor existing subnets");
    }

    if (network.publicIp === null) this.publicIpId = undefined;
    else if (network.publicIp.existingId !== null) this.publicIpId = pulumi.output(network.publicIp.existingId);
    else {
      // Classic stv2 injection: a Standard static IPv4 with a DNS label, in the service's region and subscription.
      this.publicIpId = new azure.network.PublicIPAddress(
        `${name}-apim-pip`,
        {
          publicIpAddressName: network.publicIp.name,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          sku: { name: "Standard", tier: "Regional" },
          publicIPAllocationMethod: "Static",
          publicIPAddressVersion: "IPv4",
          dnsSettings: { domainNameLabel: network.publicIp.name },
          tags,
        },
        child,
      ).id;
    }

    const links: pulumi.Resource[] = [];
    const zone = (key: string, model: DnsZoneModel): pulumi.Output<string> => {
      let zoneId: pulumi.Output<string>;
      let zoneName: pulumi.Input<string>;
      let zoneGroup: pulumi.Input<string>;
      if (model.existingId === null) {
        const created = new azure.privatedns.PrivateZone(
          `${name}-${key}-zone`,
          { privateZoneName: model.zone, resourceGroupName: args.resourceGroupName, location: "global", tags },
          child,
        );
        zoneId = created.id;
        zoneName = created.name;
        zoneGroup = args.resourceGroupName;
      } else {
        zoneId = pulumi.output(model.existingId);
        zoneName = model.zone;
        zoneGroup = model.resourceGroup ?? "";
      }
      if (model.link && model.subscription !== null) {
        links.push(
          new azure.privatedns.VirtualNetworkLink(
            `${name}-${key}-link`,
            {
              virtualNetworkLinkName: network.linkName,
              privateZoneName: zoneName,
              resourceGroupName: zoneGroup,
              location: "global",
              virtualNetwork: { id: virtualNetworkId },
              registrationEnabled: false,
              tags,
            },
            { parent: this, provider: providerFor(args.providers, model.subscription.alias) },
          ),
        );
      }
      return zoneId;
    };
    this.virtualNetworkId = virtualNetworkId;
    this.openaiZoneId = zone("openai", network.zones.openai);
    this.apimZoneId = network.zones.apim === null ? undefined : zone("apim", network.zones.apim);
    this.links = links;
    this.registerOutputs({
      gatewaySubnetId: this.gatewaySubnetId,
      privateEndpointSubnetId: this.privateEndpointSubnetId,
      openaiZoneId: this.openaiZoneId,
    });
  }
}

export interface PrivateConnectionArgs {
  /** Required. The endpoint as modelled. */
  readonly endpoint: PrivateEndpointModel;
  /** Required. Automatic or Manual approval. */
  readonly approval: "Automatic" | "Manual";
  /** Required. ARM id of the account or service it connects to. */
  readonly targetId: pulumi.Input<string>;
  /** Required. The endpoints' subnet. */
  readonly subnetId: pulumi.Input<string>;
  /** Required. The private DNS zone the endpoint registers in. */
  readonly zoneId: pulumi.Input<string>;
  /** Required. Region of the endpoints' network. */
  readonly location: string;
  /** Required. Resource group of the endpoint (in the network's subscription). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. Provider of the network's subscription. */
  readonly provider: azure.Provider;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** One private endpoint and its DNS zone group (the A record of the target in the zone). */
export class PrivateConnection extends pulumi.ComponentResource {
  public readonly endpointId: pulumi.Output<string>;
  /** Exists once the target's name resolves to the endpoint's address in the zone. */
  public readonly zoneGroup: azure.network.PrivateDnsZoneGroup;

  constructor(name: string, args: PrivateConnectionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:network:PrivateConnection", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const endpoint = new azure.network.PrivateEndpoint(
      `${name}-pe`,
      {
        privateEndpointName: args.endpoint.name,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        subnet: { id: args.subnetId },
        customNetworkInterfaceName: `${args.endpoint.name}-nic`,
        ...privateLinkConnection(args.endpoint, args.approval, args.targetId),
        tags: { ...(args.tags ?? {}) },
      },
      // Azure changes neither an endpoint's subnet nor its connection in place; the name is reused, so
      // the old endpoint goes first (model/changes.ts says so in plan --against).
      {
        ...child,
        deleteBeforeReplace: true,
        replaceOnChanges: ["subnet", "privateLinkServiceConnections", "manualPrivateLinkServiceConnections"],
      },
    );
    this.zoneGroup = new azure.network.PrivateDnsZoneGroup(
      `${name}-dns`,
      {
        privateDnsZoneGroupName: "default",
        privateEndpointName: endpoint.name,
        resourceGroupName: args.resourceGroupName,
        privateDnsZoneConfigs: [{ name: args.endpoint.zone.replace(/\./g, "-"), privateDnsZoneId: args.zoneId }],
      },
      child,
    );
    this.endpointId = endpoint.id;
    this.registerOutputs({ endpointId: this.endpointId });
  }
}

export interface PrivateEndpointsArgs {
  /** Required. The network as modelled. */
  readonly network: NetworkModel;
  /** Required. The created or existing network resources. */
  readonly gatewayNetwork: GatewayNetwork;
  /** Required. ARM ids of the accounts by topology key. */
  readonly accountIds: ReadonlyMap<string, pulumi.Input<string>>;
  /** Required. ARM id of the API Management service (inbound endpoint). */
  readonly serviceId: pulumi.Input<string>;
  /** Required. The gateway's resource group (endpoints go there when the network is the gateway's). */
  readonly gatewayResourceGroupName: pulumi.Input<string>;
  /** Required. The gateway's resource group name as modelled. */
  readonly gatewayResourceGroup: string;
  /** Required. Providers by alias: endpoints are created in the network's subscription. */
  readonly providers: Providers;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Every account's private endpoint (group `account`) and the gateway's inbound one (group `Gateway`), issue #20. */
export class PrivateEndpoints extends pulumi.ComponentResource {
  /** By account key, plus "gateway" for the inbound endpoint. */
  public readonly connections: ReadonlyMap<string, PrivateConnection>;
  /** What must exist before the gateway routes to the accounts: every account's zone group and the zone links. */
  public readonly readyForRouting: readonly pulumi.Resource[];

  constructor(name: string, args: PrivateEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:network:PrivateEndpoints", name, {}, opts);
    const { network, gatewayNetwork } = args;
    const provider = providerFor(args.providers, network.endpointSubscription.alias);
    const resourceGroupName =
      network.endpointResourceGroup === args.gatewayResourceGroup
        ? args.gatewayResourceGroupName
        : network.endpointResourceGroup;
    const common = {
      approval: network.approval,
      subnetId: gatewayNetwork.privateEndpointSubnetId,
      location: network.location,
      resourceGroupName,
      provider,
      tags: args.tags,
    };
    const connections = new Map<string, PrivateConnection>();
    for (const endpoint of network.accountEndpoints) {
      const targetId = args.accountIds.get(endpoint.key);
      if (targetId === undefined) throw new Error(`no account ${endpoint.key} for its private endpoint`);
      connections.set(
        endpoint.key,
        new PrivateConnection(
          `${name}-${endpoint.key}`,
          { ...common, endpoint, targetId, zoneId: gatewayNetwork.openaiZoneId },
          { parent: this },
        ),
      );
    }
    if (network.gatewayEndpoint !== null && gatewayNetwork.apimZoneId !== undefined) {
      connections.set(
        "gateway",
        new PrivateConnection(
          `${name}-gateway`,
          { ...common, endpoint: network.gatewayEndpoint, targetId: args.serviceId, zoneId: gatewayNetwork.apimZoneId },
          { parent: this },
        ),
      );
    }
    this.connections = connections;
    this.readyForRouting = [
      ...network.accountEndpoints.map((e) => connections.get(e.key)?.zoneGroup).filter((g) => g !== undefined),
      ...gatewayNetwork.links,
    ];
    this.registerOutputs({});
  }
}

export interface InternalGatewayDnsArgs {
  /** Required. `<service>.azure-api.net`. */
  readonly zone: string;
  /** Required. The service's private address (known after it is created). */
  readonly privateIp: pulumi.Input<string>;
  /** Required. The network clients resolve from. */
  readonly virtualNetworkId: pulumi.Input<string>;
  /** Required. The gateway's resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Internal mode (issue #20): Azure registers nothing in public DNS for the service, so clients in the
 * network resolve its host through a private zone named after the host, whose apex points at the
 * service's private address (Learn, "Deploy your Azure API Management instance to a virtual network -
 * internal mode": "The endpoints remain inaccessible until you configure DNS for the VNet").
 */
export class InternalGatewayDns extends pulumi.ComponentResource {
  constructor(name: string, args: InternalGatewayDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:network:InternalGatewayDns", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const tags = { ...(args.tags ?? {}) };
    const zone = new azure.privatedns.PrivateZone(
      `${name}-zone`,
      { privateZoneName: args.zone, resourceGroupName: args.resourceGroupName, location: "global", tags },
      child,
    );
    new azure.privatedns.VirtualNetworkLink(
      `${name}-link`,
      {
        virtualNetworkLinkName: "gateway-link",
        privateZoneName: zone.name,
        resourceGroupName: args.resourceGroupName,
        location: "global",
        virtualNetwork: { id: args.virtualNetworkId },
        registrationEnabled: false,
        tags,
      },
      child,
    );
    new azure.privatedns.PrivateRecordSet(
      `${name}-a`,
      {
        privateZoneName: zone.name,
        resourceGroupName: args.resourceGroupName,
        recordType: "A",
        relativeRecordSetName: "@",
        ttl: 300,
        aRecords: [{ ipv4Address: args.privateIp }],
      },
      child,
    );
    this.registerOutputs({});
  }
}
