/**
 * Private networking rules (issue #20): which tier offers which network mode, subnet sizes and
 * addresses, and where existing resources (subnets, zones, public IP) live. Pure: no Pulumi, no Azure.
 * The facts come from infra/data/apim-networking.json (sources and date there).
 */
import { APIM_SKUS, type ApimSku, GATEWAY_NETWORK_MODES, type GatewayNetworkMode, NETWORKING } from "./schema";

export interface ModeInfo {
  readonly description: string;
  readonly tiers: readonly string[];
  readonly arm: { readonly virtualNetworkType: string };
  readonly delegation: string | null;
  readonly minPrefix: number;
  readonly recommendedPrefix: number;
  readonly gatewayReachableFrom: string;
}

export const MODES = NETWORKING.modes as Record<GatewayNetworkMode, ModeInfo>;

/** The modes a tier offers, in the order of GATEWAY_NETWORK_MODES. */
export function modesOf(sku: string): GatewayNetworkMode[] {
  return GATEWAY_NETWORK_MODES.filter((m) => MODES[m].tiers.includes(sku));
}

/** The mode a tier gets when aoai-gateway:network.gatewayMode is absent: its first, i.e. Integration on v2, External on classic. */
export function defaultMode(sku: string): GatewayNetworkMode | undefined {
  return modesOf(sku)[0];
}

/** "Integration: StandardV2, PremiumV2; External: Developer, Premium; ..." for messages. */
export function tiersByMode(): string {
  return GATEWAY_NETWORK_MODES.map((m) => `${m}: ${MODES[m].tiers.join(", ")}`).join("; ");
}

export function offersGatewayPrivateEndpoint(sku: string): boolean {
  return NETWORKING.gatewayPrivateEndpointTiers.includes(sku);
}

/** Tiers with no network mode at all (their gateway cannot reach a private endpoint). */
export const TIERS_WITHOUT_NETWORK: readonly ApimSku[] = APIM_SKUS.filter((s) => modesOf(s).length === 0);

/** Whether the mode puts API Management into the subnet (injection) rather than only its outbound calls. */
export function isInjection(mode: GatewayNetworkMode): boolean {
  return mode !== "Integration";
}

/** Delegation and smallest prefix of API Management's subnet for a tier and mode. */
export function gatewaySubnetRule(
  sku: string,
  mode: GatewayNetworkMode,
): { delegation: string | null; minPrefix: number } {
  if (sku === "PremiumV2" && mode === "Internal") {
    return { delegation: NETWORKING.premiumV2Injection.delegation, minPrefix: NETWORKING.premiumV2Injection.minPrefix };
  }
  return { delegation: MODES[mode].delegation, minPrefix: MODES[mode].minPrefix };
}

export interface NsgRuleSpec {
  readonly name: string;
  readonly direction: "Inbound" | "Outbound";
  readonly priority: number;
  readonly source: string;
  readonly destination: string;
  readonly ports: readonly string[];
  readonly purpose: string;
}

/** The NSG rules API Management's subnet needs for a tier and mode; none for outbound integration (issue #20). */
export function nsgRulesFor(sku: string, mode: GatewayNetworkMode): NsgRuleSpec[] {
  if (mode === "Integration") return [];
  const rules = sku === "PremiumV2" ? NETWORKING.nsgRules.premiumV2 : NETWORKING.nsgRules.classic;
  return rules
    .filter((r) => r.modes.includes(mode))
    .map((r) => ({
      name: r.name,
      direction: r.direction as "Inbound" | "Outbound",
      priority: r.priority,
      source: r.source,
      destination: r.destination,
      ports: r.ports,
      purpose: r.purpose,
    }));
}

// IPv4 CIDR arithmetic for the subnets the stack creates. The format is checked by zod (z.cidrv4).

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split("/");
  const base = ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  return { base, prefix: Number(bits) };
}

export function formatCidr(c: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256);
  return `${octets.join(".")}/${c.prefix}`;
}

export const cidrSize = (c: Cidr) => 2 ** (32 - c.prefix);

/** Whether the address is the first of its block (10.0.0.16/27 is not: the block starts at 10.0.0.0). */
export const isAligned = (c: Cidr) => c.base % cidrSize(c) === 0;

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** The n-th block of `prefix` inside `space` (n from 0). */
export function nthBlock(space: Cidr, prefix: number, n: number): Cidr {
  return { base: space.base + n * 2 ** (32 - prefix), prefix };
}

/** Addresses a subnet offers after Azure's five reserved ones. */
export function usableAddresses(c: Cidr): number {
  return cidrSize(c) - NETWORKING.reservedAddressesPerSubnet;
}

export const DEFAULT_SUBNET_PREFIX = 27;

/** The created network's two subnets: given, or the first and second /27 of the address space. */
export function createdSubnets(network: {
  addressSpace: string;
  gatewaySubnet?: string;
  privateEndpointSubnet?: string;
}): {
  gateway: string;
  privateEndpoints: string;
} {
  const space = parseCidr(network.addressSpace);
  const aligned = { base: space.base - (space.base % cidrSize(space)), prefix: space.prefix };
  return {
    gateway: network.gatewaySubnet ?? formatCidr(nthBlock(aligned, DEFAULT_SUBNET_PREFIX, 0)),
    privateEndpoints: network.privateEndpointSubnet ?? formatCidr(nthBlock(aligned, DEFAULT_SUBNET_PREFIX, 1)),
  };
}

// ARM ids from config. These are ids the user wrote, not resource outputs: reading their
// subscription, resource group and parent network is parsing config, done once here.

export interface ArmIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export function armIdParts(id: string): ArmIdParts {
  const parts = id.split("/");
  return {
    subscriptionId: parts[2].toLowerCase(),
    resourceGroup: parts[4],
    name: parts[parts.length - 1],
  };
}

/** `/subscriptions/../virtualNetworks/<vnet>` of a subnet id. */
export function virtualNetworkOf(subnetId: string): string {
  return subnetId.slice(0, subnetId.toLowerCase().lastIndexOf("/subnets/"));
}
