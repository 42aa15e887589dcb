/**
 * Cross-field rules of gateway regions and zones (issue #22). Pure. Each message names the key, the value and
 * what the tier allows (infra/data/gateway-regions.json, with its sources).
 *
 * Deploy-time failures these rules stop before `up` (docs/multi-region.md, "Failure modes"):
 * - zones in a region without availability zones: ARM answers `NotSupported: Subscription ... is not enabled
 *   for Availability Zone deployment in location ...` (hashicorp/terraform-provider-azurerm#17515);
 * - Premium units not spread evenly over the zones (Learn, zone-redundancy: units equal to or a multiple of
 *   the number of zones);
 * - additional locations on a tier without them: only classic Premium has `additionalLocations`; the v2
 *   tiers get one gateway per region behind Front Door instead.
 */
import { APIM_SKUS, type ApimSku, LOCALITY_MODES, type LocalityMode, TIERS } from "./schema";
import { AZ_REGIONS, TIER_REGIONS, tierRegionSummary } from "../model/gateway-regions";

type PathPart = string | number;
export interface RegionProblem {
  readonly path: PathPart[];
  readonly text: string;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

const MULTI_REGION_TIERS = APIM_SKUS.filter((s) => TIER_REGIONS[s].multiRegion !== "none")
  .map(tierRegionSummary)
  .join("; ");
const ZONE_TIERS = APIM_SKUS.filter((s) => TIER_REGIONS[s].zones !== "none")
  .map(tierRegionSummary)
  .join("; ");

/** Pools one route needs: one per gateway region when locality is on and there is more than one region. */
export function poolsPerRoute(regionCount: number, locality: LocalityMode): number {
  return regionCount > 1 && locality !== "off" ? regionCount : 1;
}

/** Number of gateway regions a raw config asks for (1 + additional locations). */
export function regionCountOf(root: unknown): number {
  return 1 + asArray(asRecord(asRecord(root).gateway).additionalLocations).length;
}

/** The locality a route gets from a raw config (the same defaults as the topology). */
export function rawLocalityOf(root: unknown, route: string): LocalityMode {
  const routing = asRecord(asRecord(root).routing);
  const own = asRecord(routing.routeLocality)[route];
  const all = routing.locality;
  const valid = (v: unknown): v is LocalityMode => (LOCALITY_MODES as readonly unknown[]).includes(v);
  if (valid(own)) return own;
  if (valid(all)) return all;
  return regionCountOf(root) > 1 ? "geography" : "off";
}

function zoneProblems(
  sku: ApimSku,
  location: unknown,
  capacity: number,
  zones: unknown,
  path: PathPart[],
): RegionProblem[] {
  if (!Array.isArray(zones)) return [];
  const support = TIER_REGIONS[sku].zones;
  if (support === "none") {
    return [
      {
        path,
        text: `got ${JSON.stringify(zones)}; allowed: no zones for sku ${sku} (${tierRegionSummary(sku)}); zones are offered by ${ZONE_TIERS}`,
      },
    ];
  }
  if (sku === "PremiumV2") {
    // Premium v2 is created as a generic ARM resource (api-gateway.ts), which has no zones field.
    return [
      {
        path,
        text: `got ${JSON.stringify(zones)}; allowed: no zones for sku PremiumV2 in this release (the program creates Premium v2 as a generic ARM resource without a zones field; docs/multi-region.md); zones are deployed for Premium and StandardV2`,
      },
    ];
  }
  const problems: RegionProblem[] = [];
  if (typeof location === "string" && !AZ_REGIONS.includes(location)) {
    problems.push({
      path,
      text: `got ${JSON.stringify(zones)} in ${location}; allowed: zones only in a region with availability zones (${location} has none for API Management; Azure refuses with NotSupported, terraform-provider-azurerm#17515; list: infra/data/gateway-regions.json azRegions)`,
    });
  }
  if (support === "perLocation" && zones.length > 0 && capacity % zones.length !== 0) {
    problems.push({
      path,
      text: `got ${zones.length} zones for ${capacity} unit${capacity === 1 ? "" : "s"}; allowed: units equal to or a multiple of the number of zones on ${sku}, so every zone holds the same share (Learn, API Management zone redundancy)`,
    });
  }
  return problems;
}

/** Problems of `aoai-gateway:gateway` zones and additional locations, and of `routing.routeLocality`. */
export function gatewayRegionProblems(root: Record<string, unknown>, routeNames: readonly string[]): RegionProblem[] {
  const problems: RegionProblem[] = [];
  const gateway = asRecord(root.gateway);
  const sku = gateway.sku as ApimSku | undefined;
  if (typeof sku !== "string" || !(sku in TIERS)) return problems;
  const tier = TIERS[sku];
  const info = TIER_REGIONS[sku];
  const primaryCapacity = typeof gateway.capacity === "number" ? gateway.capacity : tier.minUnits;
  problems.push(...zoneProblems(sku, gateway.location, primaryCapacity, gateway.zones, ["gateway", "zones"]));

  const locations = asArray(gateway.additionalLocations);
  if (locations.length > 0 && info.multiRegion === "none") {
    problems.push({
      path: ["gateway", "additionalLocations"],
      text: `got ${locations.length} additional location${locations.length === 1 ? "" : "s"}; allowed: none for sku ${sku} (${tierRegionSummary(sku)}); more regions: ${MULTI_REGION_TIERS}`,
    });
    return problems;
  }
  const seen = new Map<string, string>();
  if (typeof gateway.location === "string") seen.set(gateway.location, "gateway.location");
  locations.forEach((raw, i) => {
    const l = asRecord(raw);
    const path: PathPart[] = ["gateway", "additionalLocations", i];
    if (typeof l.location === "string") {
      const first = seen.get(l.location);
      if (first !== undefined) {
        problems.push({
          path: [...path, "location"],
          text: `got ${JSON.stringify(l.location)}; allowed: a region that is not a gateway region already (${first})`,
        });
      } else {
        seen.set(l.location, `gateway.additionalLocations[${i}]`);
      }
    }
    const cap = typeof l.capacity === "number" ? l.capacity : tier.minUnits;
    if (cap < tier.minUnits || cap > tier.maxUnits) {
      problems.push({
        path: [...path, "capacity"],
        text: `got ${cap}; allowed: ${tier.minUnits}-${tier.maxUnits} units per region for sku ${sku}`,
      });
    }
    problems.push(...zoneProblems(sku, l.location, cap, l.zones, [...path, "zones"]));
  });

  const routeLocality = asRecord(asRecord(root.routing).routeLocality);
  for (const name of Object.keys(routeLocality)) {
    if (!routeNames.includes(name)) {
      problems.push({
        path: ["routing", "routeLocality", name],
        text: `got a setting for ${JSON.stringify(name)}; allowed: a route (deployment name) of aoai-gateway:backends (${routeNames.join(", ")})`,
      });
    }
  }
  return problems;
}
