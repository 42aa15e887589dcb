/**
 * The `plan` report: what a stack deploys and the throughput it unlocks, as a
 * JSON-ready object and as text. Pure.
 */
import { type CostAssumptions, type CostEstimate, estimateCost, formatCost } from "./cost";
import { API_ID, API_PATH, CLIENT_API_VERSION, routeEndpoint, v1BaseUrl } from "./names";
import type { AvailabilityModel } from "./gateway-regions";
import { type QuotaPoolModel, type RouteMember, type Topology, monthlyPrice } from "./topology";

export interface PlanMember {
  /** APIM backend id of this member (one per account and deployment). */
  readonly backendId: string;
  readonly account: string;
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly sku: string;
  readonly capacity: number;
  readonly capacityTpm: number | null;
  readonly rpm: number | null;
  readonly priority: number;
  readonly weight: number;
  /** Expected share of the route's traffic while nothing is throttled, 0..1 (0 = spillover only). */
  readonly share: number;
  /** Native spillover: the deployment of the same account that serves the traffic above this member's PTUs. */
  readonly spilloverDeployment: string | null;
  /**
   * Share of the traffic its priority group takes, 0..1: for the first group
   * the same as `share`; for a spillover group, how the traffic that reaches
   * it (when every group above it is out) is split.
   */
  readonly groupShare: number;
}

export interface PlanGatewayRegion {
  readonly location: string;
  readonly geography: string;
  readonly primary: boolean;
  readonly units: number;
  readonly zones: readonly string[];
  readonly serviceName: string;
  readonly url: string;
  readonly monthlyUsd: number;
}

export interface PlanRoute {
  readonly deployment: string;
  /** What the Azure client calls for this route: `<gateway url>/openai/deployments/<deployment>`. */
  readonly endpoint: string;
  readonly model: string;
  readonly usableTpm: number;
  readonly members: readonly PlanMember[];
}

export interface PlanQuotaPool {
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  /** The pool's model; `*` for a provisioned pool, shared by every model. */
  readonly model: string;
  /** Models drawing from the pool. */
  readonly models: readonly string[];
  readonly sku: string;
  /** Standard-family quota in TPM; null when unknown or for provisioned pools. */
  readonly quotaTpm: number | null;
  /** Standard-family allocation in TPM; null for provisioned pools (see allocatedPtu). */
  readonly allocatedTpm: number | null;
  readonly quotaPtu?: number | null;
  readonly allocatedPtu?: number;
  readonly quotaSource: "override" | "default" | "unknown";
  /** allocated / quota, 0..1, or null when the quota is unknown or 0. */
  readonly utilization: number | null;
}

export interface Plan {
  readonly gateway: {
    readonly name: string;
    /** API Management service name (Azure's name, globally unique). */
    readonly serviceName: string;
    /** `https://<serviceName>.azure-api.net`: the endpoint of the Azure client (`AzureOpenAI`). */
    readonly url: string;
    /** `<url>/openai/v1/`: the base URL of the plain `OpenAI` client (v1 API). */
    readonly v1BaseUrl: string;
    readonly subscription: string;
    readonly location: string;
    readonly sku: string;
    readonly capacity: number;
    readonly routingMode: string;
    readonly monthlyUsd: number;
    readonly pricingNote: string;
    /**
     * The URL clients should use (issue #22): the Front Door's with several v2 gateways (its host suffix is
     * assigned by Azure: `pulumi stack output gatewayUrl`), else `url` (classic Premium routes it to the
     * nearest location).
     */
    readonly globalUrl: string;
    /** Every gateway region, primary first, with its units, zones, direct URL and price. */
    readonly regions: readonly PlanGatewayRegion[];
    /** The Front Door in front of several v2 gateways, or null. */
    readonly frontDoor: { readonly sku: string; readonly probePath: string; readonly monthlyUsd: number } | null;
    /** The availability Microsoft publishes for this topology, with its source. */
    readonly availability: AvailabilityModel;
  };
  readonly totalTpm: number;
  readonly routes: readonly PlanRoute[];
  readonly quotaPools: readonly PlanQuotaPool[];
  /** Consumer names: one APIM subscription key each (stack output `consumerKeys`). */
  readonly consumers: readonly string[];
  readonly warnings: readonly string[];
  /** Monthly cost estimate (issue #13), present when createPlan is given cost assumptions. */
  readonly cost?: CostEstimate;
}

function poolToPlan(p: QuotaPoolModel): PlanQuotaPool {
  const utilization = p.quota ? p.allocated / p.quota : null;
  const base = {
    subscription: p.subscription.alias,
    subscriptionId: p.subscription.id,
    location: p.location,
    model: p.model,
    models: p.models,
    sku: p.sku,
  };
  if (p.unit === "PTU") {
    return {
      ...base,
      quotaTpm: null,
      allocatedTpm: null,
      quotaPtu: p.quota,
      allocatedPtu: p.allocated,
      quotaSource: p.quotaSource,
      utilization,
    };
  }
  return { ...base, quotaTpm: p.quota, allocatedTpm: p.allocated, quotaSource: p.quotaSource, utilization };
}

/** Each member's share of its own priority group's weight (even split when the group's weights are all 0). */
function groupShares(members: readonly RouteMember[]): number[] {
  return members.map((m) => {
    const group = members.filter((o) => o.priority === m.priority);
    const total = group.reduce((s, o) => s + o.weight, 0);
    return total > 0 ? m.weight / total : 1 / group.length;
  });
}

export function createPlan(topology: Topology, costAssumptions?: CostAssumptions): Plan {
  const g = topology.gateway;
  return {
    gateway: {
      name: g.name,
      serviceName: g.serviceName,
      url: g.url,
      v1BaseUrl: v1BaseUrl(g.url),
      subscription: g.subscription.alias,
      location: g.location,
      sku: g.sku,
      capacity: g.capacity,
      routingMode: topology.routingMode,
      monthlyUsd: g.monthlyUsd,
      pricingNote: g.tier.pricingNote,
      globalUrl: g.frontDoor ? g.frontDoor.urlPattern : g.url,
      regions: g.regions.map((r) => ({
        location: r.location,
        geography: r.geography,
        primary: r.primary,
        units: r.capacity,
        zones: r.zones,
        serviceName: r.serviceName,
        url: r.url,
        monthlyUsd: monthlyPrice(g.tier, r.capacity),
      })),
      frontDoor: g.frontDoor
        ? { sku: g.frontDoor.sku, probePath: g.frontDoor.probePath, monthlyUsd: g.frontDoor.monthlyUsd }
        : null,
      availability: g.availability,
    },
    totalTpm: topology.totalTpm,
    routes: topology.routes.map((r) => ({
      deployment: r.name,
      endpoint: routeEndpoint(g.url, r.name),
      model: r.model,
      usableTpm: r.usableTpm,
      members: r.members.map((m, i, all) => ({
        backendId: m.backendId,
        account: m.accountKey,
        subscription: m.subscription.alias,
        subscriptionId: m.subscription.id,
        location: m.location,
        sku: m.deployment.sku,
        capacity: m.deployment.capacity,
        capacityTpm: m.deployment.capacityTpm,
        rpm: m.deployment.rpm,
        priority: m.priority,
        weight: m.weight,
        share: m.share,
        spilloverDeployment: m.deployment.spilloverDeployment ?? null,
        groupShare: groupShares(all)[i],
      })),
    })),
    quotaPools: topology.quotaPools.map(poolToPlan),
    consumers: topology.consumers.map((c) => c.name),
    warnings: topology.warnings,
    ...(costAssumptions ? { cost: estimateCost(topology, costAssumptions) } : {}),
  };
}

const n = (v: number) => v.toLocaleString("en-US");
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map(
    (r) =>
      "  " +
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
  );
}

/**
 * The three-line client snippet `plan` prints: the JavaScript Azure client
 * against the gateway, with a consumer key (issue #14). `stack` names the
 * stack in the `pulumi stack output` command when known.
 */
export function clientSnippet(plan: Plan, stack?: string): string[] {
  const route = plan.routes[0]?.deployment ?? "<deployment>";
  const keys = `pulumi stack output consumerKeys --show-secrets${stack ? ` --stack ${stack}` : ""}`;
  const who =
    plan.consumers.length > 0
      ? `a consumer's key (${plan.consumers.join(", ")}) from \`${keys}\``
      : `no consumers yet: add aoai-gateway:consumers, deploy, then \`${keys}\``;
  return [
    `Call it (JavaScript, npm install openai; GATEWAY_KEY = ${who}):`,
    `  import { AzureOpenAI } from "openai";`,
    `  const client = new AzureOpenAI({ endpoint: "${plan.gateway.url}", apiKey: process.env.GATEWAY_KEY, apiVersion: "${CLIENT_API_VERSION}" });`,
    `  const reply = await client.chat.completions.create({ model: "${route}", messages: [{ role: "user", content: "Hello" }] });`,
  ];
}

export interface FormatPlanOptions {
  /** The stack name, when the plan was made from `--stack` (shown in commands). */
  readonly stack?: string;
}

/** Gateway regions, the global URL and the published availability (issue #22). */
export function formatGatewayRegions(g: Plan["gateway"]): string[] {
  const usd = (v: number) => v.toLocaleString("en-US", { style: "currency", currency: "USD" });
  const a = g.availability;
  const out: string[] = [];
  if (g.regions.length > 1) {
    out.push(
      `  Gateway regions (${g.regions.length}${g.frontDoor ? `, one ${g.sku} gateway each, behind Azure Front Door` : ", additional locations of one service"}):`,
    );
    out.push(
      ...table([
        ["region", "geography", "units", "zones", "URL (direct)", "a month"],
        ...g.regions.map((r) => [
          `${r.location}${r.primary ? " (primary)" : ""}`,
          r.geography,
          String(r.units),
          r.zones.length > 0 ? r.zones.join(",") : "-",
          r.url,
          usd(r.monthlyUsd),
        ]),
      ]).map((line) => `  ${line}`),
    );
    out.push(
      g.frontDoor
        ? `  Global URL ${g.globalUrl} (Front Door ${g.frontDoor.sku}, ${usd(g.frontDoor.monthlyUsd)} a month base fee; Azure assigns the host suffix: pulumi stack output gatewayUrl); health probe GET ${g.frontDoor.probePath} on each gateway`
        : `  Global URL ${g.globalUrl} (routes each client to the nearest healthy location)`,
    );
  } else if (g.regions[0]?.zones.length) {
    out.push(`  Availability zones ${g.regions[0].zones.join(", ")}`);
  }
  out.push(
    `  Availability: ${a.publishedPercent === null ? "no SLA published" : `${a.publishedPercent}% published`} (${a.basis})${
      a.composedPercent === null
        ? ""
        : `; composed ${a.composedPercent}% if regions fail independently (our arithmetic, not an SLA)`
    }; source: ${a.source}`,
  );
  return out;
}

/** The human-readable plan. */
export function formatPlan(plan: Plan, options: FormatPlanOptions = {}): string {
  const g = plan.gateway;
  const out: string[] = [];
  out.push(
    `Gateway ${g.name}: API Management ${g.sku}${g.capacity > 0 ? `, ${g.capacity} unit${g.capacity === 1 ? "" : "s"},` : ""} in ${g.location} (subscription ${g.subscription}), routing mode ${g.routingMode}`,
    `  about ${g.monthlyUsd.toLocaleString("en-US", { style: "currency", currency: "USD" })} a month base price (${g.pricingNote})`,
    `  URL ${g.url} (API ${API_ID} at /${API_PATH}); v1 API base URL ${g.v1BaseUrl}`,
    ...formatGatewayRegions(g),
    "",
    ...clientSnippet(plan, options.stack),
    "",
  );
  for (const r of plan.routes) {
    out.push(
      `Route ${r.deployment} (model ${r.model}): ${n(r.usableTpm)} TPM usable over ${r.members.length} member${r.members.length === 1 ? "" : "s"}`,
      `  endpoint ${r.endpoint}`,
    );
    const rows = [
      [
        "backend",
        "priority",
        "weight",
        "share",
        "in group",
        "subscription",
        "region",
        "type",
        "capacity",
        "TPM",
        "RPM",
      ],
    ];
    for (const m of r.members) {
      rows.push([
        m.backendId,
        String(m.priority),
        String(m.weight),
        m.share > 0 ? pct(m.share) : "spillover",
        pct(m.groupShare),
        m.subscription,
        m.location,
        m.sku,
        `${n(m.capacity)}${m.sku.includes("Provisioned") ? " PTU" : "K"}`,
        m.capacityTpm === null ? "?" : n(m.capacityTpm),
        m.rpm === null ? (m.sku.includes("Provisioned") ? "-" : "?") : n(m.rpm),
      ]);
    }
    out.push(...table(rows));
    for (const m of r.members.filter((x) => x.spilloverDeployment !== null)) {
      out.push(
        `  ${m.backendId}: traffic above its PTUs spills over to deployment ${m.spilloverDeployment} of the same account (Azure OpenAI native spillover), before the pool fails over`,
      );
    }
    out.push("");
  }
  if (plan.routes.some((r) => new Set(r.members.map((m) => m.priority)).size > 1)) {
    out.push(
      "share: of the route's traffic while nothing is throttled. in group: of the traffic a priority group takes;",
      "a spillover group (higher priority number) takes traffic only while every group above it is out.",
      "",
    );
  }
  out.push(
    "Quota pools (subscription / region / model / type; * = every model, provisioned quota is model-independent): allocated of quota",
  );
  const rows = [["pool", "allocated", "quota", "use", "source"]];
  for (const p of plan.quotaPools) {
    const ptu = p.allocatedPtu !== undefined;
    const unit = ptu ? "PTU" : "TPM";
    const allocated = ptu ? (p.allocatedPtu ?? 0) : (p.allocatedTpm ?? 0);
    const quota = ptu ? p.quotaPtu : p.quotaTpm;
    rows.push([
      `${p.subscription}/${p.location}/${p.model}/${p.sku}${p.model === "*" ? ` (${p.models.join(", ")})` : ""}`,
      `${n(allocated)} ${unit}`,
      quota === null || quota === undefined ? "unknown" : `${n(quota)} ${unit}`,
      p.utilization === null ? "-" : pct(p.utilization),
      p.quotaSource,
    ]);
  }
  out.push(...table(rows), "");
  out.push(`Total usable throughput: ${n(plan.totalTpm)} TPM`);
  if (plan.cost) out.push("", ...formatCost(plan.cost));
  if (plan.warnings.length > 0) {
    out.push("", `Warnings (${plan.warnings.length}):`, ...plan.warnings.map((w) => `  - ${w}`));
  }
  return out.join("\n") + "\n";
}
