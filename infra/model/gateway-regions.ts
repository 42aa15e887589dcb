/**
 * Gateway regions and locality-aware routing (issue #22). Pure: imports nothing
 * from Pulumi or Azure and creates nothing.
 *
 * - Classic Premium runs one service in several locations (`additionalLocations`: one control plane, one set
 *   of backends, policies, keys and named values; each location with its own units and zones).
 * - The v2 tiers are single-region: one service per region, every one with the same backends, policies and
 *   consumer keys, behind one Azure Front Door profile that probes each gateway.
 * - Locality: a request served in gateway region R tries the members of its priority group in R first, then
 *   (mode `geography`) those in R's geography, then the rest. Priorities stay first: locality only orders
 *   members inside one priority group. The effective priority of a member for region R is the dense rank of
 *   (priority, locality rank) over the route, so it stays within APIM's pool priority range.
 */
import { createHash } from "node:crypto";
import type { ApimSku, LocalityMode } from "../config/schema";
import data from "../data/gateway-regions.json";

export type MultiRegionKind = "additionalLocations" | "frontDoor" | "none";
export type ZoneSupport = "perLocation" | "atCreation" | "none";

export interface TierRegionInfo {
  readonly multiRegion: MultiRegionKind;
  readonly zones: ZoneSupport;
  /** Published availability (percent) for one region without zones, or null (no SLA). */
  readonly slaPercent: number | null;
  /** Published availability with zones in a region, or null when no higher figure is published. */
  readonly slaZonesPercent: number | null;
  /** Published availability with two or more regions of one service, or null. */
  readonly slaMultiRegionPercent: number | null;
}

export const TIER_REGIONS: Record<ApimSku, TierRegionInfo> = data.tiers as Record<ApimSku, TierRegionInfo>;
export const AZ_REGIONS: readonly string[] = data.azRegions;
export const GEOGRAPHIES: Readonly<Record<string, string>> = data.geographies;
export const FRONT_DOOR = data.frontDoor;
export const SLA_SOURCE: string = data.slaSource;
export const GATEWAY_REGIONS_READ_ON: string = data.readOn;

/** What a tier allows, said in validation messages. */
export function tierRegionSummary(sku: ApimSku): string {
  const t = TIER_REGIONS[sku];
  const regions =
    t.multiRegion === "additionalLocations"
      ? "additional locations of one service"
      : t.multiRegion === "frontDoor"
        ? "one gateway per region behind Azure Front Door"
        : "one region only";
  const zones =
    t.zones === "perLocation"
      ? "zones per location"
      : t.zones === "atCreation"
        ? "zone redundancy set at creation"
        : "no availability zones";
  return `${sku}: ${regions}, ${zones}`;
}

/** ARM region name of a region name as `context.Deployment.Region` may give it ("Sweden Central" or "swedencentral"). */
export function normalizeRegion(region: string): string {
  return region.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 8);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).replace(/-+$/, "");
}

/**
 * API Management service name of a further v2 gateway: globally unique (hash of subscription, gateway name and
 * region), at most 50 characters.
 */
export function regionalServiceName(gatewayName: string, subscriptionId: string, location: string): string {
  return `${clip(gatewayName, 20)}-${clip(location, 19)}-${hash(subscriptionId, gatewayName, location, "apim")}`;
}

/** Backend id of a route's pool for gateway region `location` (at most 80 characters, as backend ids). */
export function regionalPoolId(routeName: string, location: string): string {
  const full = `pool-${routeName}-${location}`;
  return full.length <= 80 ? full : `${clip(full, 71)}-${hash(full)}`;
}

/** Front Door profile and endpoint name of a gateway (resource-group scoped; Azure adds a hash to the host). */
export function frontDoorName(gatewayName: string): string {
  return `${gatewayName}-afd`;
}

/** The path Front Door probes: API Management's own health endpoint, answered without a key or a backend call. */
export const GATEWAY_STATUS_PATH = "/status-0123456789abcdef";

export interface GatewayRegionModel {
  /** ARM region name. */
  readonly location: string;
  readonly geography: string;
  readonly capacity: number;
  /** Availability zones, empty when none are set. */
  readonly zones: readonly string[];
  /** The region of the primary service (classic: the control plane). */
  readonly primary: boolean;
  /** The API Management service that serves this region. */
  readonly serviceName: string;
  /** The URL that reaches this region directly. */
  readonly url: string;
}

export interface FrontDoorModel {
  readonly profileName: string;
  readonly endpointName: string;
  readonly sku: string;
  /** What clients use; the host's suffix is assigned by Azure on create. */
  readonly urlPattern: string;
  readonly probePath: string;
  readonly monthlyUsd: number;
}

export interface AvailabilityModel {
  /** The availability Microsoft publishes for this topology, percent, or null (none published). */
  readonly publishedPercent: number | null;
  /** What the figure covers. */
  readonly basis: string;
  /** For topologies Microsoft publishes no single figure for: the product of the parts' SLAs, percent. */
  readonly composedPercent: number | null;
  readonly source: string;
}

/** Geography of a region ("Europe", "US", ...); the region itself when unknown. */
export function geographyOf(location: string): string {
  return GEOGRAPHIES[location] ?? location;
}

/** 0: member in the gateway region; 1: same geography (mode geography); 2: elsewhere. */
export function localityRank(memberLocation: string, gatewayLocation: string, mode: LocalityMode): number {
  if (mode === "off") return 0;
  if (memberLocation === gatewayLocation) return 0;
  if (mode === "geography" && geographyOf(memberLocation) === geographyOf(gatewayLocation)) return 1;
  return 2;
}

/**
 * Effective priorities of a route's members for one gateway region: the dense rank (from 1) of
 * (priority, locality rank), so priority groups keep their order and locality orders inside each group.
 */
export function regionalPriorities(
  members: readonly { readonly priority: number; readonly location: string }[],
  gatewayLocation: string,
  mode: LocalityMode,
): number[] {
  const keys = members.map((m) => m.priority * 3 + localityRank(m.location, gatewayLocation, mode));
  const distinct = [...new Set(keys)].sort((a, b) => a - b);
  return keys.map((k) => distinct.indexOf(k) + 1);
}

/** Published availability of a gateway topology (issue #22: plan names it and its source). */
export function availabilityOf(sku: ApimSku, regions: readonly GatewayRegionModel[]): AvailabilityModel {
  const t = TIER_REGIONS[sku];
  const several = regions.length > 1;
  const zoned = regions.some((r) => r.zones.length > 1);
  if (t.slaPercent === null) {
    return { publishedPercent: null, basis: `${sku} has no SLA`, composedPercent: null, source: SLA_SOURCE };
  }
  if (t.multiRegion === "additionalLocations" && several && t.slaMultiRegionPercent !== null) {
    return {
      publishedPercent: t.slaMultiRegionPercent,
      basis: `${sku} deployed in ${regions.length} regions`,
      composedPercent: null,
      source: SLA_SOURCE,
    };
  }
  if (zoned && t.slaZonesPercent !== null) {
    return {
      publishedPercent: t.slaZonesPercent,
      basis: `${sku} across two or more availability zones`,
      composedPercent: null,
      source: SLA_SOURCE,
    };
  }
  if (t.multiRegion === "frontDoor" && several) {
    // Microsoft publishes no figure for several v2 gateways behind Front Door: each gateway has its own SLA
    // and Front Door its own. Composed: Front Door x (1 - every gateway down at once), independence assumed.
    const down = (1 - t.slaPercent / 100) ** regions.length;
    const composed = (FRONT_DOOR.slaPercent / 100) * (1 - down) * 100;
    return {
      publishedPercent: t.slaPercent,
      basis: `each ${sku} gateway ${t.slaPercent}%, Azure Front Door ${FRONT_DOOR.slaPercent}%; no SLA is published for the combination`,
      composedPercent: Math.floor(composed * 1000) / 1000,
      source: SLA_SOURCE,
    };
  }
  return { publishedPercent: t.slaPercent, basis: `${sku} in one region`, composedPercent: null, source: SLA_SOURCE };
}
