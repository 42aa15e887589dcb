/**
 * Cost estimate for `plan` (issue #13): API Management and Azure OpenAI,
 * in USD a month, from dated list prices (infra/data/model-prices.json,
 * apim-tiers.json). Pure. Clearly an estimate: list prices, no discounts,
 * no taxes, and assumptions (utilisation, input/output split, cached share)
 * that the caller states and the output prints.
 *
 * Per route, the traffic assumed is `utilization x usable TPM`, placed on
 * the members the way the gateway routes it: priority group by priority
 * group (each group filled to its TPM before the next is used), inside a
 * group in proportion to the members' TPM. Standard-family members are
 * priced per token; provisioned members cost their PTUs by the hour whether
 * used or not (reservations, when their price is known, are shown too).
 */
import { isProvisioned } from "../config/schema";
import networking from "../data/apim-networking.json";
import prices from "../data/model-prices.json";
import quotaData from "../data/quota-defaults.json";
import type { RouteMember, Topology } from "./topology";

export interface CostAssumptions {
  /** Share of each route's usable TPM in use, averaged over the month, 0..1. Default 0.5. */
  readonly utilization: number;
  /** Share of tokens that are input (prompt) tokens, 0..1. Default 0.75. */
  readonly inputShare: number;
  /** Share of input tokens billed as cached input, 0..1. Default 0. */
  readonly cachedInputShare: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = { utilization: 0.5, inputShare: 0.75, cachedInputShare: 0 };

export interface TokenPrices {
  readonly input: number;
  readonly cachedInput: number;
  readonly output: number;
}

interface ModelPrices {
  readonly version: string;
  /** Embeddings: every token is billed at the input price (issue #19). */
  readonly inputOnly?: boolean;
  readonly GlobalStandard: TokenPrices | null;
  readonly DataZoneStandard: TokenPrices | null;
  readonly Standard: TokenPrices | null;
}

interface ProvisionedPrices {
  readonly ptuHourUsd: number | null;
  readonly monthlyReservationUsdPerPtu: number | null;
  readonly yearlyReservationUsdPerPtuMonth: number | null;
}

interface ApimRequestPrices {
  readonly requestsMetered: boolean;
  readonly includedRequestsPerMonth: number | null;
  readonly extraRequestsUsdPerMillion: number | null;
}

interface RequestPrices {
  readonly unit: string;
  readonly unitsPerRequest: number;
  readonly assumption: string;
  readonly GlobalStandard?: number;
  readonly DataZoneStandard?: number;
  readonly Standard?: number;
}

const MODELS = prices.models as Record<string, ModelPrices | undefined>;
const PER_REQUEST = prices.perRequest as unknown as Record<string, RequestPrices | undefined>;
const PROVISIONED = prices.provisioned as Record<string, ProvisionedPrices | undefined>;
const APIM = prices.apiManagement.tiers as Record<string, ApimRequestPrices | undefined>;
export const PRICE_SOURCE = prices.source;
export const PRICES_READ_ON = prices.readOn;
export const HOURS_PER_MONTH = prices.hoursPerMonth;

/** Token prices of a Standard-family deployment type, or null when the data file has none. */
export function tokenPrices(model: string, sku: string): TokenPrices | null {
  const m = MODELS[model];
  if (!m) return null;
  if (sku === "GlobalStandard" || sku === "DataZoneStandard" || sku === "Standard") return m[sku];
  return null;
}

/** Whether a model bills every token at the input price (embeddings). */
export function inputOnly(model: string): boolean {
  return MODELS[model]?.inputOnly === true;
}

/** USD per request of a request-metered model (images, whisper, tts) and the request size it assumes, or null. */
export function requestPrice(model: string, sku: string): { usd: number; assumption: string } | null {
  const p = PER_REQUEST[model];
  const perUnit = p?.[sku as "GlobalStandard" | "DataZoneStandard" | "Standard"];
  if (!p || perUnit === undefined) return null;
  return { usd: perUnit * p.unitsPerRequest, assumption: `${p.assumption}, ${perUnit} USD per ${p.unit}` };
}

export interface MemberCost {
  readonly backendId: string;
  readonly sku: string;
  /** "tokens" (Standard family, per token), "requests" (images, whisper, tts; per request) or "ptu" (provisioned, by the hour). */
  readonly basis: "tokens" | "requests" | "ptu";
  /** Tokens a month placed on this member under the assumptions (null when its TPM is unknown). */
  readonly tokensPerMonth: number | null;
  /** USD per 1M tokens for this member, or null when not in the price file. */
  readonly prices: TokenPrices | null;
  readonly ptu: number | null;
  readonly ptuHourUsd: number | null;
  readonly monthlyReservationUsdPerPtu: number | null;
  /** USD a month (PTU: hourly rate x 730 h), or null when a price is missing. */
  readonly monthlyUsd: number | null;
  /** Native spillover (issue #17): the PTU member whose overflow this deployment serves, or null. */
  readonly spilloverOf: string | null;
  /** Request-metered members (issue #19): requests a month assumed, price per request and what it assumes. */
  readonly requestsPerMonth?: number;
  readonly usdPerRequest?: number | null;
  readonly requestAssumption?: string;
}

export interface RouteCost {
  readonly deployment: string;
  readonly model: string;
  readonly usableTpm: number;
  /** utilization x usableTpm. */
  readonly assumedTpm: number;
  readonly tokensPerMonth: number;
  readonly members: readonly MemberCost[];
  /** Sum of the members' monthly USD, or null when any is unknown. */
  readonly monthlyUsd: number | null;
}

/** Private networking's fixed monthly cost (issue #20): endpoints, created zones, a classic public IP. */
export interface NetworkCost {
  readonly privateEndpoints: number;
  readonly privateEndpointsMonthlyUsd: number;
  /** Zones the stack creates (existing hub zones are billed to their owner). */
  readonly dnsZones: number;
  readonly dnsZonesMonthlyUsd: number;
  readonly publicIps: number;
  readonly publicIpsMonthlyUsd: number;
  readonly monthlyUsd: number;
  /** What is not in the figure: per-GB processing and DNS queries depend on traffic. */
  readonly note: string;
  readonly pricesReadOn: string;
}

const NETWORK_PRICES = networking.prices;

/** The network's fixed monthly list price, or null when the stack has no network. */
export function networkCost(topology: Topology): NetworkCost | null {
  const n = topology.network;
  if (n === null) return null;
  const endpoints = n.accountEndpoints.length + (n.gatewayEndpoint === null ? 0 : 1);
  const zones =
    [n.zones.openai, n.zones.apim].filter((z) => z !== null && z.existingId === null).length +
    (n.internalGatewayZone === null ? 0 : 1);
  const publicIps = n.publicIp !== null && n.publicIp.existingId === null ? 1 : 0;
  const endpointUsd = cents(endpoints * NETWORK_PRICES.privateEndpointHourUsd * HOURS_PER_MONTH);
  const zoneUsd = cents(zones * NETWORK_PRICES.privateDnsZoneMonthUsd);
  const ipUsd = cents(publicIps * NETWORK_PRICES.publicIpHourUsd * HOURS_PER_MONTH);
  return {
    privateEndpoints: endpoints,
    privateEndpointsMonthlyUsd: endpointUsd,
    dnsZones: zones,
    dnsZonesMonthlyUsd: zoneUsd,
    publicIps,
    publicIpsMonthlyUsd: ipUsd,
    monthlyUsd: cents(endpointUsd + zoneUsd + ipUsd),
    note: `plus ${NETWORK_PRICES.privateEndpointPerGbUsd} USD per GB through each endpoint (in and out) and DNS queries, which depend on traffic`,
    pricesReadOn: NETWORK_PRICES.readOn,
  };
}

export interface CostEstimate {
  readonly note: string;
  readonly currency: "USD";
  readonly pricesReadOn: string;
  readonly priceSource: typeof prices.source;
  readonly assumptions: CostAssumptions & { readonly hoursPerMonth: number };
  readonly apiManagement: {
    readonly label: string;
    readonly sku: string;
    readonly units: number;
    readonly monthlyUsd: number;
    readonly pricingNote: string;
    readonly requestsMetered: boolean;
    readonly includedRequestsPerMonth: number | null;
    readonly extraRequestsUsdPerMillion: number | null;
  };
  readonly routes: readonly RouteCost[];
  /** Azure OpenAI total, or null when any member's price is unknown. */
  readonly modelsMonthlyUsd: number | null;
  /** Private endpoints, zones and public IP (issue #20), or null without a network. */
  readonly network: NetworkCost | null;
  /** API Management plus Azure OpenAI plus the network, or null when any price is unknown. */
  readonly totalMonthlyUsd: number | null;
  readonly missing: readonly string[];
}

const cents = (v: number) => Math.round(v * 100) / 100;

/** Tokens per minute assumed on each member: priority groups filled in order, TPM-proportional inside a group. */
export function placeTraffic(members: readonly RouteMember[], tpm: number): number[] {
  const placed = members.map(() => 0);
  let remaining = tpm;
  const priorities = [...new Set(members.map((m) => m.priority))].sort((a, b) => a - b);
  for (const p of priorities) {
    const group = members.map((m, i) => ({ m, i })).filter(({ m }) => m.priority === p && m.deployment.capacityTpm);
    const capacity = group.reduce((s, { m }) => s + (m.deployment.capacityTpm ?? 0), 0);
    if (capacity <= 0 || remaining <= 0) continue;
    const take = Math.min(remaining, capacity);
    for (const { m, i } of group) placed[i] = (take * (m.deployment.capacityTpm ?? 0)) / capacity;
    remaining -= take;
  }
  return placed;
}

function blendedPerMillion(p: TokenPrices, a: CostAssumptions, allInput = false): number {
  if (allInput) return p.input;
  const input = a.inputShare * ((1 - a.cachedInputShare) * p.input + a.cachedInputShare * p.cachedInput);
  return input + (1 - a.inputShare) * p.output;
}

export function estimateCost(
  topology: Topology,
  assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): CostEstimate {
  const minutes = 60 * HOURS_PER_MONTH;
  const missing: string[] = [];
  // issue #17: a spillover-only deployment is not a route clients call: it is priced inside its PTU
  // member's route, as the traffic above the PTUs (filled after the PTU, before the next priority group).
  const overflowOnly = new Set(topology.routes.filter((r) => r.spilloverOnly).map((r) => r.name));
  const routes = topology.routes
    .filter((r) => !r.spilloverOnly)
    .map((route): RouteCost => {
      const assumedTpm = assumptions.utilization * route.usableTpm;
      const spilloverOf = new Map<RouteMember, string>();
      const withOverflow = route.members.flatMap((m) => {
        if (!m.spillover || !overflowOnly.has(m.spillover.deployment.name)) return [m];
        const overflow: RouteMember = {
          ...m,
          backendId: m.spillover.backendId,
          deployment: m.spillover.deployment,
          priority: m.priority + 0.5,
          spillover: undefined,
        };
        spilloverOf.set(overflow, m.backendId);
        return [m, overflow];
      });
      const placed = placeTraffic(withOverflow, assumedTpm);
      const members = withOverflow.map((m, i): MemberCost => {
        const of = spilloverOf.get(m) ?? null;
        const d = m.deployment;
        if (isProvisioned(d.sku)) {
          const p = PROVISIONED[d.sku];
          const hour = p?.ptuHourUsd ?? null;
          if (hour === null) missing.push(`${m.backendId}: no PTU-hour price for ${d.sku}`);
          return {
            backendId: m.backendId,
            sku: d.sku,
            basis: "ptu",
            tokensPerMonth: d.capacityTpm === null ? null : Math.round(placed[i] * minutes),
            prices: null,
            ptu: d.capacity,
            ptuHourUsd: hour,
            monthlyReservationUsdPerPtu: p?.monthlyReservationUsdPerPtu ?? null,
            monthlyUsd: hour === null ? null : cents(d.capacity * hour * HOURS_PER_MONTH),
            spilloverOf: of,
          };
        }
        if (d.metering === "requests") {
          // Images, whisper, tts (issue #19): priced per request; each member assumed at `utilization` of its own RPM.
          const requests = Math.round(assumptions.utilization * (d.rpm ?? 0) * minutes);
          const listed = requestPrice(d.model, d.sku);
          const usd = d.priceOverride?.usdPerRequest ?? listed?.usd ?? null;
          if (usd === null) missing.push(`${m.backendId}: no per-request price for ${d.model} ${d.sku}`);
          if (d.rpm === null) missing.push(`${m.backendId}: RPM of ${d.model} unknown`);
          return {
            backendId: m.backendId,
            sku: d.sku,
            basis: "requests",
            tokensPerMonth: null,
            prices: null,
            ptu: null,
            ptuHourUsd: null,
            monthlyReservationUsdPerPtu: null,
            monthlyUsd: usd === null || d.rpm === null ? null : cents(requests * usd),
            spilloverOf: of,
            requestsPerMonth: requests,
            usdPerRequest: usd,
            requestAssumption:
              d.priceOverride?.usdPerRequest !== undefined
                ? "price from aoai-gateway:modelCatalog"
                : (listed?.assumption ?? "no price"),
          };
        }
        const p = d.priceOverride?.tokens ?? tokenPrices(d.model, d.sku);
        if (p === null) missing.push(`${m.backendId}: no token price for ${d.model} ${d.sku}`);
        const tokens = Math.round(placed[i] * minutes);
        return {
          backendId: m.backendId,
          sku: d.sku,
          basis: "tokens",
          tokensPerMonth: tokens,
          prices: p,
          ptu: null,
          ptuHourUsd: null,
          monthlyReservationUsdPerPtu: null,
          monthlyUsd: p === null ? null : cents((tokens / 1e6) * blendedPerMillion(p, assumptions, inputOnly(d.model))),
          spilloverOf: of,
        };
      });
      const known = members.every((m) => m.monthlyUsd !== null);
      return {
        deployment: route.name,
        model: route.model,
        usableTpm: route.usableTpm,
        assumedTpm: Math.round(assumedTpm),
        tokensPerMonth: Math.round(assumedTpm * minutes),
        members,
        monthlyUsd: known ? cents(members.reduce((s, m) => s + (m.monthlyUsd ?? 0), 0)) : null,
      };
    });
  const g = topology.gateway;
  const apim = APIM[g.sku];
  const net = networkCost(topology);
  const modelsMonthlyUsd = routes.every((r) => r.monthlyUsd !== null)
    ? cents(routes.reduce((s, r) => s + (r.monthlyUsd ?? 0), 0))
    : null;
  return {
    note: "Estimate only: list prices in USD, no discounts, reservations, taxes or support; monthly = 730 hours",
    currency: "USD",
    pricesReadOn: PRICES_READ_ON,
    priceSource: PRICE_SOURCE,
    assumptions: { ...assumptions, hoursPerMonth: HOURS_PER_MONTH },
    apiManagement: {
      label:
        g.regions.length > 1
          ? `API Management only (gateway base price in ${g.regions.length} regions${g.frontDoor ? ` and the Azure Front Door base fee, ${g.frontDoor.monthlyUsd} USD` : ""}; Azure OpenAI not included)`
          : "API Management only (gateway base price; Azure OpenAI not included)",
      sku: g.sku,
      // Every region's units are billed (issue #22).
      units: g.regions.reduce((n, r) => n + r.capacity, 0),
      monthlyUsd: g.monthlyUsd,
      pricingNote: g.tier.pricingNote,
      requestsMetered: apim?.requestsMetered ?? false,
      includedRequestsPerMonth: apim?.includedRequestsPerMonth ?? null,
      extraRequestsUsdPerMillion: apim?.extraRequestsUsdPerMillion ?? null,
    },
    routes,
    modelsMonthlyUsd,
    network: net,
    totalMonthlyUsd: modelsMonthlyUsd === null ? null : cents(modelsMonthlyUsd + g.monthlyUsd + (net?.monthlyUsd ?? 0)),
    missing,
  };
}

const usd = (v: number | null) =>
  v === null ? "unknown" : v.toLocaleString("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const pct = (v: number) => `${Math.round(v * 100)}%`;
const usd4 = (v: number) => `${Number(v.toFixed(6))} USD`;
const tokens = (v: number | null) =>
  v === null ? "?" : `${(v / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 })}M`;

/** The text section `plan` prints. */
export function formatCost(c: CostEstimate): string[] {
  const a = c.assumptions;
  const out = [
    `Cost estimate (USD a month, list prices as of ${c.priceSource.fetched}, data file dated ${c.pricesReadOn}; ${c.note})`,
    `  assumptions: ${pct(a.utilization)} of each route's usable TPM in use, ${pct(a.inputShare)} input / ${pct(1 - a.inputShare)} output tokens, ${pct(a.cachedInputShare)} of input cached (set with --utilization, --input-share, --cached-input-share)`,
    `  prices: ${c.priceSource.title}`,
    `  ${c.apiManagement.label}: ${usd(c.apiManagement.monthlyUsd)} (${c.apiManagement.sku}, ${c.apiManagement.units} unit${c.apiManagement.units === 1 ? "" : "s"}; ${
      c.apiManagement.requestsMetered
        ? `${c.apiManagement.includedRequestsPerMonth === null ? "?" : (c.apiManagement.includedRequestsPerMonth / 1e6).toLocaleString("en-US")} M requests included, extra ${c.apiManagement.extraRequestsUsdPerMillion === null ? "price unknown" : `${usd(c.apiManagement.extraRequestsUsdPerMillion)} per million`}`
        : "requests not metered"
    })`,
  ];
  for (const r of c.routes) {
    const requests = r.members.every((m) => m.basis === "requests");
    out.push(
      requests
        ? `  Route ${r.deployment} (${r.model}): ${usd(r.monthlyUsd)} at ${pct(a.utilization)} of its RPM (${r.members.reduce((s, m) => s + (m.requestsPerMonth ?? 0), 0).toLocaleString("en-US")} requests a month)`
        : `  Route ${r.deployment} (${r.model}): ${usd(r.monthlyUsd)} at ${r.assumedTpm.toLocaleString("en-US")} TPM (${tokens(r.tokensPerMonth)} tokens a month)`,
    );
    for (const m of r.members) {
      out.push(
        m.basis === "requests"
          ? `    ${m.backendId}: ${usd(m.monthlyUsd)} (${(m.requestsPerMonth ?? 0).toLocaleString("en-US")} requests${m.usdPerRequest === null || m.usdPerRequest === undefined ? ", price unknown" : ` at ${usd4(m.usdPerRequest)} each: ${m.requestAssumption}`})`
          : m.basis === "ptu"
            ? `    ${m.backendId}: ${usd(m.monthlyUsd)} (${m.ptu} PTU x ${usd(m.ptuHourUsd)} an hour, paid whether used or not${m.monthlyReservationUsdPerPtu === null ? "; reservation price not in the data file" : ""})`
            : `    ${m.spilloverOf === null ? "" : "+ "}${m.backendId}: ${usd(m.monthlyUsd)} (${tokens(m.tokensPerMonth)} tokens${m.spilloverOf === null ? "" : ` above the PTUs of ${m.spilloverOf}, native spillover`}${m.prices ? ` at ${m.prices.input} in / ${m.prices.cachedInput} cached / ${m.prices.output} out per 1M` : ", price unknown"})`,
      );
    }
  }
  if (c.network) {
    const n = c.network;
    out.push(
      `  Private network: ${usd(n.monthlyUsd)} (${n.privateEndpoints} private endpoint${n.privateEndpoints === 1 ? "" : "s"} ${usd(n.privateEndpointsMonthlyUsd)}, ${n.dnsZones} private DNS zone${n.dnsZones === 1 ? "" : "s"} created ${usd(n.dnsZonesMonthlyUsd)}${n.publicIps > 0 ? `, ${n.publicIps} public IP ${usd(n.publicIpsMonthlyUsd)}` : ""}; ${n.note}; prices read ${n.pricesReadOn}, infra/data/apim-networking.json)`,
    );
  }
  out.push(
    `  Azure OpenAI total: ${usd(c.modelsMonthlyUsd)}; with API Management${c.network ? " and the network" : ""}: ${usd(c.totalMonthlyUsd)}`,
  );
  if (c.missing.length > 0) out.push(`  Not priced (${c.missing.length}): ${c.missing.join("; ")}`);
  return out;
}

const USAGE_TIERS = Object.fromEntries(
  Object.entries(quotaData.usageTiers).filter(([k]) => !k.startsWith("$")),
) as Record<string, number | undefined>;

/**
 * Tenant-wide usage tiers (issue #19): above a model's monthly tokens, Standard, Data Zone and Global Standard
 * deployments may see more latency variability (quotas-limits page, "Usage tiers"; provisioned and batch exempt).
 * One warning per model whose estimated Standard-family tokens a month, over every route of the stack, pass it.
 * The tier counts the whole tenant, so other stacks and apps add to this estimate.
 */
export function usageTierWarnings(cost: CostEstimate): string[] {
  const perModel = new Map<string, number>();
  for (const r of cost.routes) {
    const tokens = r.members.filter((m) => m.basis === "tokens").reduce((s, m) => s + (m.tokensPerMonth ?? 0), 0);
    if (tokens > 0) perModel.set(r.model, (perModel.get(r.model) ?? 0) + tokens);
  }
  const out: string[] = [];
  for (const [model, tokens] of [...perModel].sort(([a], [b]) => a.localeCompare(b))) {
    const tier = USAGE_TIERS[model];
    if (tier !== undefined && tokens > tier) {
      out.push(
        `model ${model}: about ${(tokens / 1e9).toLocaleString("en-US", { maximumFractionDigits: 1 })} B tokens a month at ${pct(cost.assumptions.utilization)} utilization pass its usage tier of ${(tier / 1e9).toLocaleString("en-US")} B tokens a month (tenant-wide, every subscription and region; infra/data/quota-defaults.json usageTiers): above it Standard-family latency may vary more; provisioned (PTU) deployments are exempt`,
      );
    }
  }
  return out;
}
