/**
 * The gateway's private network as the topology models it (issue #20): the virtual network and subnets
 * (created or existing), API Management's mode in it, one private endpoint per Azure OpenAI account, the
 * private DNS zones and their links, and who can reach what. Pure: built from the validated config.
 */
import {
  MODES,
  armIdParts,
  createdSubnets,
  gatewaySubnetRule,
  isInjection,
  nsgRulesFor,
  type NsgRuleSpec,
  virtualNetworkOf,
} from "../config/network";
import type { GatewayNetworkMode } from "../config/schema";
import type { ValidConfig } from "../config/validate";

export const OPENAI_ZONE = "privatelink.openai.azure.com";
export const APIM_ZONE = "privatelink.azure-api.net";
/** Private link sub-resources (group ids). */
export const OPENAI_GROUP_ID = "account";
export const APIM_GROUP_ID = "Gateway";

export interface NetworkSubscription {
  readonly alias: string;
  readonly id: string;
}

/** A subnet the stack creates, or an existing one by id. */
export type SubnetModel =
  | {
      readonly existing: false;
      readonly name: string;
      readonly addressPrefix: string;
      /** Service the subnet is delegated to, or null. */
      readonly delegation: string | null;
      /** NSG rules (API Management injection), empty when the subnet gets no NSG. */
      readonly nsgRules: readonly NsgRuleSpec[];
    }
  | {
      readonly existing: true;
      readonly id: string;
      /** What the existing subnet must already have: checked by Azure, not here (docs/networking.md). */
      readonly delegation: string | null;
      readonly nsgRules: readonly NsgRuleSpec[];
    };

export interface DnsZoneModel {
  readonly zone: string;
  /** The existing zone's id, or null when the stack creates it in the gateway's resource group. */
  readonly existingId: string | null;
  /** Subscription the link (and a created zone) goes into. */
  readonly subscription: NetworkSubscription | null;
  /** Resource group of an existing zone (its link goes there too). */
  readonly resourceGroup: string | null;
  /** Whether the stack links the zone to the gateway's virtual network. */
  readonly link: boolean;
}

export interface PrivateEndpointModel {
  /** The account's topology key, or "gateway" for the inbound endpoint. */
  readonly key: string;
  /** Azure name of the private endpoint. */
  readonly name: string;
  /** `account` (Azure OpenAI) or `Gateway` (API Management). */
  readonly groupId: string;
  readonly zone: string;
  /** The resource it connects to, by name (the account's or the service's Azure name). */
  readonly target: string;
}

export interface NetworkModel {
  readonly mode: GatewayNetworkMode;
  /** What the mode does, from the data file. */
  readonly modeDescription: string;
  /** The ARM virtualNetworkType for the mode. */
  readonly virtualNetworkType: string;
  /** Region of the network holding the private endpoints. */
  readonly location: string;
  /** The network the stack creates, or null when subnets exist. */
  readonly createdNetwork: { readonly name: string; readonly addressSpace: string } | null;
  /**
   * Name of the zones' links to the gateway's network: per gateway, so several stacks can link one hub zone
   * (each to its own network; Azure allows one link per network and zone).
   */
  readonly linkName: string;
  /** The id of the existing network the gateway resolves from (link target), or null when created. */
  readonly existingNetworkId: string | null;
  readonly gatewaySubnet: SubnetModel;
  readonly privateEndpointSubnet: SubnetModel;
  /** Subscription and resource group the private endpoints are created in. */
  readonly endpointSubscription: NetworkSubscription;
  readonly endpointResourceGroup: string;
  /** The accounts' private endpoints, in account order. */
  readonly accountEndpoints: readonly PrivateEndpointModel[];
  /** The inbound endpoint to API Management, or null. */
  readonly gatewayEndpoint: PrivateEndpointModel | null;
  readonly approval: "Automatic" | "Manual";
  readonly zones: { readonly openai: DnsZoneModel; readonly apim: DnsZoneModel | null };
  /** Classic injection: the service's public IP (created when no id is given), else null. */
  readonly publicIp: { readonly existingId: string | null; readonly name: string } | null;
  /**
   * Internal mode: a private zone named after the gateway's host (`<service>.azure-api.net`) with its
   * private address, linked to the network. Azure registers nothing in public DNS for an Internal service
   * (Learn, api-management-using-with-internal-vnet), so without it no client resolves the gateway.
   */
  readonly internalGatewayZone: string | null;
  /** The gateway's public network access (Disabled only with its private endpoint). */
  readonly gatewayPublicNetworkAccess: "Enabled" | "Disabled";
  /** Who can reach the gateway: `internet` or `virtual network`, plus `virtual network (private endpoint)`. */
  readonly gatewayReachableFrom: readonly string[];
}

interface GatewayFacts {
  readonly name: string;
  readonly serviceName: string;
  readonly sku: string;
  readonly location: string;
  readonly subscription: NetworkSubscription;
  readonly resourceGroup: string;
}

/** The network of a validated config, or null when the stack has none. */
export function buildNetwork(
  config: ValidConfig,
  gateway: GatewayFacts,
  accounts: readonly { key: string; name: string }[],
  subscriptionOfId: (id: string) => NetworkSubscription | undefined,
): NetworkModel | null {
  const network = config.network;
  if (!network) return null;
  const mode = network.gatewayMode;
  const rule = gatewaySubnetRule(gateway.sku, mode);
  const nsgRules = nsgRulesFor(gateway.sku, mode);
  const own = (id: string) => {
    const s = subscriptionOfId(armIdParts(id).subscriptionId);
    if (!s) throw new Error(`subscription of ${id} not listed after validation`);
    return s;
  };

  let gatewaySubnet: SubnetModel;
  let privateEndpointSubnet: SubnetModel;
  let endpointSubscription = gateway.subscription;
  let endpointResourceGroup = gateway.resourceGroup;
  let location = gateway.location;
  if (network.virtualNetwork) {
    const prefixes = createdSubnets(network.virtualNetwork);
    gatewaySubnet = {
      existing: false,
      name: "apim",
      addressPrefix: prefixes.gateway,
      delegation: rule.delegation,
      nsgRules,
    };
    privateEndpointSubnet = {
      existing: false,
      name: "private-endpoints",
      addressPrefix: prefixes.privateEndpoints,
      delegation: null,
      nsgRules: [],
    };
  } else if (network.subnets) {
    gatewaySubnet = { existing: true, id: network.subnets.gateway, delegation: rule.delegation, nsgRules };
    privateEndpointSubnet = { existing: true, id: network.subnets.privateEndpoints, delegation: null, nsgRules: [] };
    endpointSubscription = own(network.subnets.privateEndpoints);
    endpointResourceGroup = network.subnets.privateEndpointResourceGroup ?? gateway.resourceGroup;
    location = network.subnets.privateEndpointLocation ?? gateway.location;
  } else {
    throw new Error("network without virtualNetwork or subnets after validation");
  }

  const zone = (name: string, id: string | undefined): DnsZoneModel =>
    id === undefined
      ? {
          zone: name,
          existingId: null,
          subscription: gateway.subscription,
          resourceGroup: null,
          link: network.linkDnsZones,
        }
      : {
          zone: name,
          existingId: id,
          subscription: network.linkDnsZones ? own(id) : null,
          resourceGroup: armIdParts(id).resourceGroup,
          link: network.linkDnsZones,
        };

  const injected = isInjection(mode);
  return {
    mode,
    modeDescription: MODES[mode].description,
    virtualNetworkType: MODES[mode].arm.virtualNetworkType,
    location,
    createdNetwork: network.virtualNetwork
      ? { name: `${gateway.name}-vnet`, addressSpace: network.virtualNetwork.addressSpace }
      : null,
    existingNetworkId: network.subnets ? virtualNetworkOf(network.subnets.gateway) : null,
    linkName: `${gateway.name}-gateway-link`,
    gatewaySubnet,
    privateEndpointSubnet,
    endpointSubscription,
    endpointResourceGroup,
    accountEndpoints: accounts.map((a) => ({
      key: a.key,
      name: `${a.name}-pe`,
      groupId: OPENAI_GROUP_ID,
      zone: OPENAI_ZONE,
      target: a.name,
    })),
    gatewayEndpoint: network.gatewayPrivateEndpoint
      ? {
          key: "gateway",
          name: `${gateway.serviceName}-pe`,
          groupId: APIM_GROUP_ID,
          zone: APIM_ZONE,
          target: gateway.serviceName,
        }
      : null,
    approval: network.privateEndpointApproval,
    zones: {
      openai: zone(OPENAI_ZONE, network.dnsZones.openai),
      apim: network.gatewayPrivateEndpoint ? zone(APIM_ZONE, network.dnsZones.apim) : null,
    },
    publicIp:
      injected && gateway.sku !== "PremiumV2"
        ? { existingId: network.gatewayPublicIpId ?? null, name: `${gateway.serviceName}-pip` }
        : null,
    internalGatewayZone: mode === "Internal" ? `${gateway.serviceName}.azure-api.net` : null,
    gatewayPublicNetworkAccess: network.gatewayPublicNetworkAccess,
    gatewayReachableFrom: [
      ...(network.gatewayPublicNetworkAccess === "Disabled" ? [] : [MODES[mode].gatewayReachableFrom]),
      ...(network.gatewayPrivateEndpoint ? ["virtual network (private endpoint)"] : []),
    ],
  };
}

/** Warnings `plan` prints for a network (issue #20): what waits for a person, what the stack cannot check. */
export function networkWarnings(network: NetworkModel, publicAccounts: readonly string[]): string[] {
  const warnings: string[] = [];
  if (network.gatewayPublicNetworkAccess === "Disabled") {
    warnings.push(
      "network.gatewayPublicNetworkAccess is Disabled: Azure refuses it while the service is created or has no approved private endpoint, so a new stack must first deploy with Enabled, then switch (docs/networking.md); clients outside the network lose the gateway",
    );
  }
  if (network.approval === "Manual") {
    warnings.push(
      `network.privateEndpointApproval is Manual: the ${network.accountEndpoints.length} account endpoint${network.accountEndpoints.length === 1 ? "" : "s"} stay Pending until each account's owner approves them (az network private-endpoint-connection approve --id <connection id>, docs/networking.md); until then the gateway gets no answer from those accounts`,
    );
  }
  if (!network.zones.openai.link) {
    warnings.push(
      `network.linkDnsZones is false: the existing zone ${OPENAI_ZONE} must already be linked to the network the gateway resolves from (or to the resolver its DNS servers forward to); otherwise the gateway resolves the accounts' public addresses and gets 403 "Public access is disabled" (docs/networking.md, verify with nslookup)`,
    );
  }
  for (const key of publicAccounts) {
    warnings.push(
      `account ${key}: publicNetworkAccess Enabled while it has a private endpoint: it still answers from the internet, around the gateway; remove the setting (the default with a network is Disabled) once its endpoint and zone group exist`,
    );
  }
  return warnings;
}
