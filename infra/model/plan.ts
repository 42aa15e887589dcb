/**
 * The `plan` report: what a stack deploys and the throughput it unlocks, as a
 * JSON-ready object and as text. Pure.
 */
import { type CostAssumptions, type CostEstimate, estimateCost, formatCost, usageTierWarnings } from "./cost";
import { API_ID, API_PATH, CLIENT_API_VERSION, routeEndpoint, v1BaseUrl } from "./names";
import type { AvailabilityModel } from "./gateway-regions";
import type { NetworkModel, SubnetModel } from "./network";
import { type QuotaPoolModel, type RouteMember, type Topology, monthlyPrice } from "./topology";
import { largestRemainder, perPeriod } from "./wording";

export interface PlanSubnet {
  /** `created` (the stack's) or `existing`. */
  readonly source: "created" | "existing";
  /** Address prefix of a created subnet, ARM id of an existing one. */
  readonly subnet: string;
  /** Delegation the subnet has (created) or must have (existing), or null. */
  readonly delegation: string | null;
  /** Names of the NSG rules it has (created) or needs (existing). */
  readonly nsgRules: readonly string[];
}

export interface PlanPrivateEndpoint {
  /** Account key, or "gateway". */
  readonly key: string;
  readonly name: string;
  readonly target: string;
  readonly groupId: string;
  readonly zone: string;
}

/** The private network (issue #20): what exists and who can reach what. */
export interface PlanNetwork {
  readonly mode: string;
  readonly modeDescription: string;
  readonly location: string;
  /** The created network's name and address space, or the existing network's id. */
  readonly virtualNetwork: string;
  readonly gatewaySubnet: PlanSubnet;
  readonly privateEndpointSubnet: PlanSubnet;
  /** Subscription alias the endpoints are created in. */
  readonly endpointSubscription: string;
  readonly approval: string;
  readonly privateEndpoints: readonly PlanPrivateEndpoint[];
  readonly dnsZones: readonly { readonly zone: string; readonly source: string; readonly linked: boolean }[];
  /** Accounts that still answer from the internet (publicNetworkAccess Enabled). */
  readonly publicAccounts: readonly string[];
  /** One line per path: who reaches what, and how. */
  readonly reach: readonly string[];
}

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
  /**
   * Native spillover (issue #17): the deployment of the same account that serves the traffic above this
   * member's PTUs, shown as part of it (its own route, callable directly, is not listed in `routes` when it
   * serves only as spillover). Null for members without one.
   */
  readonly spillover: {
    readonly deployment: string;
    readonly backendId: string;
    readonly sku: string;
    readonly capacity: number;
    readonly capacityTpm: number | null;
    readonly rpm: number | null;
  } | null;
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
  /** Request-metered pools (images, whisper, tts; issue #19): quota and allocation in requests per minute. */
  readonly quotaRpm?: number | null;
  readonly allocatedRpm?: number;
  readonly quotaSource: "override" | "default" | "unknown";
  /** allocated / quota, 0..1, or null when the quota is unknown or 0. */
  readonly utilization: number | null;
}

/** One consumer team and the token limits that apply to its key (issue #17). */
export interface PlanTeam {
  readonly name: string;
  /** Tokens per minute over all routes (llm-token-limit), or null for no limit. */
  readonly tokensPerMinute: number | null;
  /** Tokens per `tokenQuotaPeriod`, or null for no quota. */
  readonly tokenQuota: number | null;
  readonly tokenQuotaPeriod: string | null;
  /**
   * Where the limit comes from: the team's own keys, the stack-wide `policies.tokenLimit`, the default
   * every caller gets (`security.limitEveryCaller`, #18: `policies.tokenLimit.tokensPerMinute`), or none.
   */
  readonly limitFrom: "team" | "policies.tokenLimit" | "security.limitEveryCaller" | "none";
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
  /** Every consumer with the token limits its key gets (issue #17). */
  readonly teams: readonly PlanTeam[];
  /**
   * Limits of callers without a limit of their own (issue #18, `aoai-gateway:security`): tokens per minute
   * (null: none), and audio/image calls per minute (null: none).
   */
  readonly callerLimits: { readonly tokensPerMinute: number | null; readonly unmeteredCallsPerMinute: number | null };
  readonly warnings: readonly string[];
  /** The private network, or null: every account public (issue #20). */
  readonly network: PlanNetwork | null;
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
  if (p.unit === "RPM") {
    return {
      ...base,
      quotaTpm: null,
      allocatedTpm: null,
      quotaRpm: p.quota,
      allocatedRpm: p.allocated,
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

/**
 * The limits each team's key gets: its own tokensPerMinute / tokenQuota, else the stack-wide
 * policies.tokenLimit when enabled (teams with their own limits are exempt from it; policies/render.ts).
 */
export function planTeams(topology: Topology): PlanTeam[] {
  const global = topology.policies.tokenLimit;
  return topology.consumers.map((c) => {
    const own = c.tokensPerMinute !== undefined || c.tokenQuota !== undefined;
    if (own) {
      return {
        name: c.name,
        tokensPerMinute: c.tokensPerMinute ?? null,
        tokenQuota: c.tokenQuota ?? null,
        tokenQuotaPeriod: c.tokenQuotaPeriod ?? null,
        limitFrom: "team",
      };
    }
    // The same rule createPolicyContext renders (#18): the default limit holds where the tier has the policy.
    const byDefault = topology.security.limitEveryCaller && topology.gateway.tier.tokenLimitPolicy;
    return {
      name: c.name,
      tokensPerMinute: global.enabled || byDefault ? global.tokensPerMinute : null,
      tokenQuota: null,
      tokenQuotaPeriod: null,
      limitFrom: global.enabled ? "policies.tokenLimit" : byDefault ? "security.limitEveryCaller" : "none",
    };
  });
}

/** `50,000 TPM · 20,000,000 tokens a month`, or `no limit`. */
export function teamLimitText(t: PlanTeam): string {
  const parts = [
    ...(t.tokensPerMinute === null ? [] : [`${t.tokensPerMinute.toLocaleString("en-US")} TPM`]),
    ...(t.tokenQuota === null
      ? []
      : [`${t.tokenQuota.toLocaleString("en-US")} tokens ${perPeriod(t.tokenQuotaPeriod)}`]),
  ];
  return parts.length === 0 ? "no limit" : parts.join(" · ");
}

function planSubnet(s: SubnetModel): PlanSubnet {
  return {
    source: s.existing ? "existing" : "created",
    subnet: s.existing ? s.id : s.addressPrefix,
    delegation: s.delegation,
    nsgRules: s.nsgRules.map((r) => r.name),
  };
}

/** Who reaches what (issue #20), from the network and the accounts' public access. */
export function reachLines(network: NetworkModel, topology: Topology): string[] {
  const g = topology.gateway;
  const publicAccounts = topology.accounts.filter((a) => a.publicNetworkAccess === "Enabled").map((a) => a.key);
  const net = network.createdNetwork?.name ?? network.existingNetworkId ?? "the network";
  return [
    `clients -> gateway ${g.serviceName}: from ${network.gatewayReachableFrom.join(" and from ")}${network.internalGatewayZone === null ? "" : ` (${network.internalGatewayZone} resolves to its private address in zone ${network.internalGatewayZone})`}`,
    `gateway -> accounts: out through its subnet (${network.mode}) to the accounts' private endpoints; names resolve in ${network.zones.openai.zone}${network.zones.openai.link ? ` linked to ${net}` : " (linked by its owner)"}`,
    publicAccounts.length === 0
      ? `internet -> accounts: refused (public network access Disabled, network rules deny, local auth off on all ${topology.accounts.length})`
      : `internet -> accounts: still open on ${publicAccounts.join(", ")} (publicNetworkAccess Enabled); refused on the others`,
  ];
}

function planNetwork(network: NetworkModel, topology: Topology): PlanNetwork {
  const zones = [
    ...[network.zones.openai, network.zones.apim].flatMap((z) =>
      z === null ? [] : [{ zone: z.zone, source: z.existingId ?? "created", linked: z.link }],
    ),
    // Internal mode: the gateway's own host, pointing at its private address.
    ...(network.internalGatewayZone === null
      ? []
      : [{ zone: network.internalGatewayZone, source: "created", linked: true }]),
  ];
  return {
    mode: network.mode,
    modeDescription: network.modeDescription,
    location: network.location,
    virtualNetwork: network.createdNetwork
      ? `${network.createdNetwork.name} (${network.createdNetwork.addressSpace}, created)`
      : (network.existingNetworkId ?? ""),
    gatewaySubnet: planSubnet(network.gatewaySubnet),
    privateEndpointSubnet: planSubnet(network.privateEndpointSubnet),
    endpointSubscription: network.endpointSubscription.alias,
    approval: network.approval,
    privateEndpoints: [...network.accountEndpoints, ...(network.gatewayEndpoint ? [network.gatewayEndpoint] : [])].map(
      (e) => ({ key: e.key, name: e.name, target: e.target, groupId: e.groupId, zone: e.zone }),
    ),
    dnsZones: zones,
    publicAccounts: topology.accounts.filter((a) => a.publicNetworkAccess === "Enabled").map((a) => a.key),
    reach: reachLines(network, topology),
  };
}

export function createPlan(topology: Topology, costAssumptions?: CostAssumptions): Plan {
  const g = topology.gateway;
  const cost = costAssumptions ? estimateCost(topology, costAssumptions) : undefined;
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
    routes: topology.routes
      .filter((r) => !r.spilloverOnly)
      .map((r) => ({
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
          spillover: m.spillover
            ? {
                deployment: m.spillover.deployment.name,
                backendId: m.spillover.backendId,
                sku: m.spillover.deployment.sku,
                capacity: m.spillover.deployment.capacity,
                capacityTpm: m.spillover.deployment.capacityTpm,
                rpm: m.spillover.deployment.rpm,
              }
            : null,
        })),
      })),
    quotaPools: topology.quotaPools.map(poolToPlan),
    consumers: topology.consumers.map((c) => c.name),
    teams: planTeams(topology),
    callerLimits: callerLimits(topology),
    network: topology.network ? planNetwork(topology.network, topology) : null,
    warnings: cost ? [...topology.warnings, ...usageTierWarnings(cost)] : topology.warnings,
    ...(cost ? { cost } : {}),
  };
}

/** What `createPolicyContext` renders for callers without their own limit (the same rule, #18). */
function callerLimits(topology: Topology): Plan["callerLimits"] {
  const { policies, security, gateway } = topology;
  const limited = policies.tokenLimit.enabled || (security.limitEveryCaller && gateway.tier.tokenLimitPolicy);
  return {
    tokensPerMinute: limited ? policies.tokenLimit.tokensPerMinute : null,
    unmeteredCallsPerMinute:
      gateway.tier.tokenLimitPolicy && security.unmeteredCallsPerMinute > 0 ? security.unmeteredCallsPerMinute : null,
  };
}

const n = (v: number) => v.toLocaleString("en-US");

/** A member of an image, whisper or tts model: capacity in request units, RPM known, no TPM (issue #19). */
const requestMetered = (m: PlanMember) => m.capacityTpm === null && m.rpm !== null && !m.sku.includes("Provisioned");
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

/**
 * Whole percents of shares that sum to 1, rounded so the shown numbers add up to 100 (largest remainder;
 * issue #17: 37.5/62.5 was shown as 38/63).
 */
export function percentsAddingUp(shares: readonly number[]): number[] {
  return largestRemainder(shares, 100);
}

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
    const spills = r.members.filter((m) => m.spillover !== null).length;
    out.push(
      `Route ${r.deployment} (model ${r.model}): ${n(r.usableTpm)} TPM usable over ${r.members.length} member${r.members.length === 1 ? "" : "s"}${spills > 0 ? `, ${spills} with native spillover` : ""}`,
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
    // Shown shares add up to 100 over the route, and over each priority group.
    const shares = percentsAddingUp(r.members.map((m) => m.share));
    const inGroup = new Map<PlanMember, number>();
    for (const p of new Set(r.members.map((m) => m.priority))) {
      const group = r.members.filter((m) => m.priority === p);
      percentsAddingUp(group.map((m) => m.groupShare)).forEach((v, k) => inGroup.set(group[k], v));
    }
    const capacity = (sku: string, c: number) => `${n(c)}${sku.includes("Provisioned") ? " PTU" : "K"}`;
    r.members.forEach((m, k) => {
      rows.push([
        m.backendId,
        String(m.priority),
        String(m.weight),
        m.share > 0 ? `${shares[k]}%` : "spillover",
        `${inGroup.get(m) ?? 0}%`,
        m.subscription,
        m.location,
        m.sku,
        `${n(m.capacity)}${m.sku.includes("Provisioned") ? " PTU" : requestMetered(m) ? " units" : "K"}`,
        m.capacityTpm === null ? (requestMetered(m) ? "-" : "?") : n(m.capacityTpm),
        m.rpm === null ? (m.sku.includes("Provisioned") ? "-" : "?") : n(m.rpm),
      ]);
      if (m.spillover) {
        const o = m.spillover;
        rows.push([
          `  + ${o.backendId}`,
          "",
          "",
          "overflow",
          "",
          m.subscription,
          m.location,
          o.sku,
          capacity(o.sku, o.capacity),
          o.capacityTpm === null ? "?" : n(o.capacityTpm),
          o.rpm === null ? "?" : n(o.rpm),
        ]);
      }
    });
    out.push(...table(rows));
    if (spills > 0) {
      out.push(
        "  + native spillover: a deployment of the member's own account takes the traffic above its PTUs (no 429 round trip), before the pool fails over; counted in the route's usable TPM",
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
  const limits = plan.callerLimits;
  out.push(
    `Limits per caller without its own (aoai-gateway:security): ${limits.tokensPerMinute === null ? "no token limit" : `${n(limits.tokensPerMinute)} tokens a minute`}; audio and image calls: ${limits.unmeteredCallsPerMinute === null ? "no limit" : `${n(limits.unmeteredCallsPerMinute)} a minute`}`,
    "",
  );
  if (plan.teams.some((t) => t.limitFrom !== "none")) {
    out.push("Teams (one key each; limits count the team's tokens over all routes: over TPM 429, over quota 403):");
    const teamRows = [["team", "tokens per minute", "token quota", "from"]];
    for (const t of plan.teams) {
      teamRows.push([
        t.name,
        t.tokensPerMinute === null ? "-" : n(t.tokensPerMinute),
        t.tokenQuota === null ? "-" : `${n(t.tokenQuota)} ${perPeriod(t.tokenQuotaPeriod)}`,
        t.limitFrom === "team" ? "own limit" : t.limitFrom === "none" ? "no limit" : t.limitFrom,
      ]);
    }
    out.push(...table(teamRows), "");
  }
  out.push(
    "Quota pools (subscription / region / model / type; * = every model, provisioned quota is model-independent): allocated of quota",
  );
  const rows = [["pool", "allocated", "quota", "use", "source"]];
  for (const p of plan.quotaPools) {
    const ptu = p.allocatedPtu !== undefined;
    const rpm = p.allocatedRpm !== undefined;
    const unit = ptu ? "PTU" : rpm ? "RPM" : "TPM";
    const allocated = ptu ? (p.allocatedPtu ?? 0) : rpm ? (p.allocatedRpm ?? 0) : (p.allocatedTpm ?? 0);
    const quota = ptu ? p.quotaPtu : rpm ? p.quotaRpm : p.quotaTpm;
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
  if (plan.network) out.push("", ...formatNetwork(plan.network));
  if (plan.cost) out.push("", ...formatCost(plan.cost));
  if (plan.warnings.length > 0) {
    out.push("", `Warnings (${plan.warnings.length}):`, ...plan.warnings.map((w) => `  - ${w}`));
  }
  return out.join("\n") + "\n";
}

/** The `Network` section of the text plan (issue #20). */
export function formatNetwork(net: PlanNetwork): string[] {
  const subnet = (label: string, s: PlanSubnet) =>
    `  ${label}: ${s.subnet} (${s.source}; delegation ${s.delegation ?? "none"}${s.nsgRules.length > 0 ? `; NSG rules ${s.nsgRules.join(", ")}` : ""})${s.source === "existing" && (s.delegation !== null || s.nsgRules.length > 0) ? " - must already be so" : ""}`;
  const rows = [["private endpoint", "to", "group", "zone"]];
  for (const e of net.privateEndpoints) rows.push([e.name, e.target, e.groupId, e.zone]);
  return [
    `Network: gateway mode ${net.mode} (${net.modeDescription}), endpoints in ${net.location} (subscription ${net.endpointSubscription}), approval ${net.approval}`,
    `  virtual network ${net.virtualNetwork}`,
    subnet("gateway subnet", net.gatewaySubnet),
    subnet("endpoint subnet", net.privateEndpointSubnet),
    ...table(rows),
    ...net.dnsZones.map(
      (z) =>
        `  zone ${z.zone}: ${z.source === "created" ? "created" : `existing ${z.source}`}, ${z.linked ? "linked to the gateway's network" : "not linked by this stack"}; one zone group per endpoint`,
    ),
    "  Who reaches what:",
    ...net.reach.map((r) => `    ${r}`),
  ];
}
