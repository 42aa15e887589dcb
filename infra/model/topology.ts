/**
 * The topology model: what a validated stack config deploys, and the quota it
 * draws. Pure: imports nothing from Pulumi or Azure and creates nothing.
 *
 * Quota model (shared/docs/domain-facts.md): quota is granted per subscription,
 * region, model and deployment type. Every Azure OpenAI account in one
 * subscription+region draws from the same pool, so the pool key below has no
 * account in it.
 */
import {
  type CatalogEntry,
  type CircuitBreakerConfig,
  type ClientAuthConfig,
  type Cloud,
  type SecurityConfig,
  type ConsumerConfig,
  type MonitoringConfig,
  type DeploymentType,
  type LocalityMode,
  type Offer,
  type PoliciesConfig,
  type RoutingMode,
  TIERS,
  type TierInfo,
  isProvisioned,
} from "../config/schema";
import { tokenLimitWarnings } from "../config/plausibility";
import { plainCredentialWarnings } from "../config/secrets";
import { type Catalog, type CapacityUnit, type TokenPriceOverride, buildCatalog } from "../config/catalog";
import { ConfigError, type ValidConfig, keyPath } from "../config/validate";
import quotaData from "../data/quota-defaults.json";
import {
  type AvailabilityModel,
  FRONT_DOOR,
  type FrontDoorModel,
  GATEWAY_STATUS_PATH,
  type GatewayRegionModel,
  TIER_REGIONS,
  availabilityOf,
  frontDoorName,
  geographyOf,
  regionalServiceName,
} from "./gateway-regions";
import { accountEndpoint, accountName, apimServiceName, backendId, gatewayUrl } from "./names";
import { type NetworkModel, buildNetwork, networkWarnings } from "./network";

export interface SubscriptionModel {
  readonly alias: string;
  readonly id: string;
  readonly offer: Offer;
}

export interface ResourceGroupModel {
  readonly name: string;
  /** true: the group exists and is not managed by this stack. */
  readonly existing: boolean;
}

export interface DeploymentModel {
  /** Deployment name, also the route name clients call. */
  readonly name: string;
  readonly model: string;
  readonly version: string;
  readonly sku: DeploymentType;
  /** Standard family: thousands of TPM. Provisioned: PTUs. */
  readonly capacity: number;
  readonly provisioned: boolean;
  /** Tokens per minute, or null for a provisioned deployment without tpmPerPtu. */
  readonly capacityTpm: number | null;
  /** Requests per minute that come with the capacity, or null when unknown or not rate limited (provisioned). */
  readonly rpm: number | null;
  /**
   * How the capacity is counted (issue #19): tokens (Standard family: 1 = 1,000 TPM; provisioned: PTUs) or
   * requests (image, whisper and tts models: 1 = the catalog's rpmPerUnit requests a minute, no TPM).
   */
  readonly metering: CapacityUnit;
  /** The stack's own prices for the model (aoai-gateway:modelCatalog), used before infra/data/model-prices.json. */
  readonly priceOverride?: { readonly tokens?: TokenPriceOverride; readonly usdPerRequest?: number };
  readonly priority: number;
  /** Effective weight inside its priority group (explicit or derived). */
  readonly weight: number;
  readonly versionUpgradeOption: string;
  readonly raiPolicyName: string | undefined;
  /** Provisioned only: the standard deployment of the same account that takes the traffic above the PTUs (native spillover). */
  readonly spilloverDeployment: string | undefined;
  /** Standard only: the provisioned deployment of the same account that spills over into this one (issue #17). */
  readonly spilloverFor: string | undefined;
  /** Where it came from in stack config, for messages. */
  readonly configPath: string;
}

export interface AccountModel {
  /** Stable logical key: `<alias>-<region>`, or `<alias>-<region>-<key>` when the entry sets `key`. */
  readonly key: string;
  /** Azure resource name, also the custom subdomain (names.ts). */
  readonly name: string;
  /** `https://<name>.openai.azure.com/` */
  readonly endpoint: string;
  readonly subscription: SubscriptionModel;
  readonly location: string;
  readonly resourceGroup: ResourceGroupModel;
  readonly publicNetworkAccess: "Enabled" | "Disabled";
  readonly tags: Readonly<Record<string, string>>;
  readonly deployments: readonly DeploymentModel[];
}

export interface RouteMember {
  /** APIM backend id of this member: one (account, deployment) (names.ts backendId). */
  readonly backendId: string;
  readonly accountKey: string;
  /** The account's endpoint, `https://<name>.openai.azure.com/`. */
  readonly accountEndpoint: string;
  readonly subscription: SubscriptionModel;
  readonly location: string;
  readonly deployment: DeploymentModel;
  readonly priority: number;
  readonly weight: number;
  /** Expected share of the route's traffic while nothing is throttled (0 for spillover groups). */
  readonly share: number;
  /**
   * Native spillover of a provisioned member (issue #17): the deployment of the same account that serves
   * the traffic above its PTUs, and the APIM backend id that deployment has as a route of its own name.
   */
  readonly spillover?: { readonly deployment: DeploymentModel; readonly backendId: string };
}

export interface RouteModel {
  /** The deployment name clients call. */
  readonly name: string;
  readonly model: string;
  /** Members sorted by priority, then by account key. */
  readonly members: readonly RouteMember[];
  /**
   * Sum of the members' known TPM, with the TPM of their native spillover deployments when those serve only
   * as spillover; 0 for such a spillover-only route (its TPM is counted in the PTU member's route).
   */
  readonly usableTpm: number;
  /**
   * Every member is the native spillover target of a provisioned deployment (issue #17): still deployed as a
   * route of its own name (callable directly), but planned, priced and simulated as the overflow of its PTU
   * member, not as a route clients call.
   */
  readonly spilloverOnly: boolean;
  /** Locality-aware routing of this route (issue #22): off, region or geography. */
  readonly locality: LocalityMode;
}

export interface QuotaPoolDraw {
  readonly accountKey: string;
  readonly deployment: string;
  readonly capacity: number;
  readonly configPath: string;
}

export interface QuotaPoolModel {
  readonly subscription: SubscriptionModel;
  readonly location: string;
  /** The pool's model; `*` for a provisioned pool, which every model shares (issue #11). */
  readonly model: string;
  /** Models drawing from the pool, sorted. */
  readonly models: readonly string[];
  readonly sku: DeploymentType;
  /** TPM for token-metered Standard-family pools, RPM for request-metered ones (images, audio), PTU for provisioned pools. */
  readonly unit: "TPM" | "RPM" | "PTU";
  /** Quota in `unit`, or null when unknown. */
  readonly quota: number | null;
  /** Where the quota came from: an override, the offer's default table, or nothing. */
  readonly quotaSource: "override" | "default" | "unknown";
  /** Capacity allocated in `unit`. */
  readonly allocated: number;
  readonly draws: readonly QuotaPoolDraw[];
}

export interface GatewayModel {
  readonly name: string;
  /** API Management service name, globally unique (names.ts). */
  readonly serviceName: string;
  /** `https://<serviceName>.azure-api.net` */
  readonly url: string;
  readonly subscription: SubscriptionModel;
  readonly location: string;
  readonly sku: keyof typeof TIERS;
  readonly capacity: number;
  readonly tier: TierInfo;
  readonly publisherEmail: string;
  readonly publisherName: string;
  readonly resourceGroup: ResourceGroupModel;
  /** Estimated list price per month in USD: every region's units, and the Front Door profile (issue #22). */
  readonly monthlyUsd: number;
  /** Availability zones of the primary location (empty: none set). */
  readonly zones: readonly string[];
  /** Every gateway region, primary first (issue #22). */
  readonly regions: readonly GatewayRegionModel[];
  /** The Front Door in front of several v2 gateways, or null (one region, or classic Premium locations). */
  readonly frontDoor: FrontDoorModel | null;
  /** What Microsoft publishes for this topology. */
  readonly availability: AvailabilityModel;
}

export interface Topology {
  readonly gateway: GatewayModel;
  readonly routingMode: RoutingMode;
  /** Bounded wait (issue #21, `aoai-gateway:routing.maxWaitSeconds`): longest a request is held for a throttled route; 0 = off. */
  readonly maxWaitSeconds: number;
  readonly subscriptions: readonly SubscriptionModel[];
  readonly accounts: readonly AccountModel[];
  readonly routes: readonly RouteModel[];
  readonly quotaPools: readonly QuotaPoolModel[];
  readonly tags: Readonly<Record<string, string>>;
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly consumers: readonly ConsumerConfig[];
  readonly policies: PoliciesConfig;
  /** Telemetry, alerts and the workbook (issue #12); `monitoring.enabled` false deploys none of it. */
  readonly monitoring: MonitoringConfig;
  /** How clients authenticate (issue #12). */
  readonly clientAuth: ClientAuthConfig;
  /** Security defaults (issue #18): limits for every caller, unmetered-call rate. */
  readonly security: SecurityConfig;
  /** Sum of every route's usable TPM. */
  readonly totalTpm: number;
  /** Private networking (issue #20), or null: every account public, the gateway outside any network. */
  readonly network: NetworkModel | null;
  readonly warnings: readonly string[];
  /** The Azure cloud of the subscriptions (issue #19): the ARM endpoint `quota` reads through. */
  readonly cloud: Cloud;
  /** The stack's own model catalog additions (buildCatalog merges them with the file). */
  readonly modelCatalog: readonly CatalogEntry[];
}

const RPM_PER_1000_TPM: Record<string, number | undefined> = Object.fromEntries(
  Object.entries(quotaData.rpmPer1000Tpm).filter(([k]) => !k.startsWith("$")),
) as Record<string, number>;

const DEFAULT_QUOTAS = quotaData.offers as Record<Offer, Record<string, Record<string, number> | undefined>>;

/** Default quota (TPM) for a Standard-family pool from the dated data file, or undefined when not known. */
export function defaultQuotaTpm(offer: Offer, model: string, sku: DeploymentType): number | undefined {
  return DEFAULT_QUOTAS[offer]?.[model]?.[sku];
}

/**
 * Requests per minute that come with `capacityTpm` of `model`, or null when the ratio is unknown. `ratio`
 * (a stack's modelCatalog entry) wins over the data file's.
 */
export function rpmFor(
  model: string,
  capacityTpm: number,
  ratio: number | undefined = RPM_PER_1000_TPM[model],
): number | null {
  return ratio === undefined ? null : Math.round((capacityTpm / 1000) * ratio);
}

/** Capacity, TPM and RPM of one deployment from its model's catalog entry (issue #19: request-metered models). */
export function meterDeployment(
  catalog: Catalog,
  d: { model: string; sku: DeploymentType; capacity: number; tpmPerPtu?: number },
): { metering: CapacityUnit; capacityTpm: number | null; rpm: number | null } {
  const entry = catalog.get(d.model);
  if (isProvisioned(d.sku)) {
    return { metering: "tokens", capacityTpm: d.tpmPerPtu === undefined ? null : d.capacity * d.tpmPerPtu, rpm: null };
  }
  if (entry?.unit === "requests") {
    return {
      metering: "requests",
      capacityTpm: null,
      rpm: entry.rpmPerUnit === undefined ? null : Math.round(d.capacity * entry.rpmPerUnit),
    };
  }
  const capacityTpm = d.capacity * 1000;
  return {
    metering: "tokens",
    capacityTpm,
    rpm: rpmFor(d.model, capacityTpm, entry?.rpmPer1000Tpm ?? RPM_PER_1000_TPM[d.model]),
  };
}

/** Monthly list price of a tier with `units` scale units. */
export function monthlyPrice(tier: TierInfo, units: number): number {
  if (units <= 0) return tier.monthlyBaseUsd;
  return Math.round((tier.monthlyBaseUsd + (units - 1) * tier.perUnitUsd) * 100) / 100;
}

/**
 * Default weights: a member's share of its priority group's TPM, scaled to
 * APIM's 1..100. When a member's TPM is unknown, the group is weighted evenly.
 */
export function defaultWeights(capacitiesTpm: readonly (number | null)[]): number[] {
  const known = capacitiesTpm.every((c): c is number => c !== null && c > 0);
  if (!known) return capacitiesTpm.map(() => Math.max(1, Math.round(100 / capacitiesTpm.length)));
  const total = capacitiesTpm.reduce((a, b) => a + (b ?? 0), 0);
  return capacitiesTpm.map((c) => Math.max(1, Math.round((100 * (c ?? 0)) / total)));
}

function resourceGroup(existing: string | undefined, generated: string): ResourceGroupModel {
  return existing ? { name: existing, existing: true } : { name: generated, existing: false };
}

/** Turn a validated config into the topology. Throws ConfigError when a quota pool is overcommitted. */
export function buildTopology(config: ValidConfig): Topology {
  const warnings: string[] = [];
  const catalog = buildCatalog(config.modelCatalog);
  const subs = new Map<string, SubscriptionModel>(
    config.subscriptions.map((s) => [s.alias, { alias: s.alias, id: s.id.toLowerCase(), offer: s.offer }]),
  );
  const sub = (alias: string): SubscriptionModel => {
    const s = subs.get(alias);
    if (!s) throw new Error(`unknown subscription alias ${alias} after validation`);
    return s;
  };

  // Accounts: stable keys from alias + region and the entry's own key, never
  // from its place in the list, so reordering entries renames nothing (issue #11).
  const draft = config.backends.map((b, i) => {
    const base = `${b.subscription}-${b.location}`;
    return { b, i, key: b.key === undefined ? base : `${base}-${b.key}` };
  });

  // Effective weights per (route, priority) group.
  const groupMembers = new Map<string, { i: number; j: number; tpm: number | null; weight?: number }[]>();
  const tpmOf = (d: ValidConfig["backends"][number]["deployments"][number]): number | null =>
    meterDeployment(catalog, d).capacityTpm;
  config.backends.forEach((b, i) =>
    b.deployments.forEach((d, j) => {
      const key = `${d.name}\u0000${d.priority}`;
      groupMembers.set(key, [...(groupMembers.get(key) ?? []), { i, j, tpm: tpmOf(d), weight: d.weight }]);
    }),
  );
  const weightAt = new Map<string, number>();
  for (const [group, members] of groupMembers) {
    const explicit = members.every((m) => m.weight !== undefined);
    const unknown = members.filter((m) => m.tpm === null);
    if (!explicit && members.length > 1 && unknown.length > 0) {
      const [route, priority] = group.split("\u0000");
      warnings.push(
        `route ${route} priority ${priority}: ${unknown.map((m) => keyPath(["backends", m.i, "deployments", m.j])).join(", ")} ${unknown.length === 1 ? "is a provisioned member" : "are provisioned members"} without tpmPerPtu, so the group's ${members.length} members are weighted evenly instead of by throughput; set tpmPerPtu (Microsoft's capacity calculator) or explicit weights`,
      );
    }
    const weights = explicit ? members.map((m) => m.weight as number) : defaultWeights(members.map((m) => m.tpm));
    members.forEach((m, k) => weightAt.set(`${m.i}/${m.j}`, weights[k]));
  }

  const accounts: AccountModel[] = draft.map(({ b, i, key }) => {
    const group = resourceGroup(b.resourceGroup, `${config.gateway.name}-${key}-rg`);
    const name = accountName(config.gateway.name, key, sub(b.subscription).id, group.name);
    return {
      key,
      name,
      endpoint: accountEndpoint(name),
      subscription: sub(b.subscription),
      location: b.location,
      resourceGroup: group,
      // With a network the accounts answer only through their private endpoints unless told otherwise (issue #20).
      publicNetworkAccess: b.publicNetworkAccess ?? (config.network ? "Disabled" : "Enabled"),
      tags: { ...config.tags, ...b.tags },
      deployments: b.deployments.map((d, j) => {
        const { metering, capacityTpm, rpm } = meterDeployment(catalog, d);
        const provisioned = isProvisioned(d.sku);
        const entry = catalog.get(d.model);
        const configPath = keyPath(["backends", i, "deployments", j]);
        if (provisioned && capacityTpm === null) {
          warnings.push(
            `${configPath}: provisioned deployment ${d.name} has no tpmPerPtu, so its throughput is not counted in TPM totals`,
          );
        }
        return {
          name: d.name,
          model: d.model,
          version: d.version,
          sku: d.sku,
          capacity: d.capacity,
          provisioned,
          capacityTpm,
          rpm,
          metering,
          ...(entry?.prices !== undefined || entry?.usdPerRequest !== undefined
            ? {
                priceOverride: {
                  ...(entry.prices !== undefined ? { tokens: entry.prices } : {}),
                  ...(entry.usdPerRequest !== undefined ? { usdPerRequest: entry.usdPerRequest } : {}),
                },
              }
            : {}),
          priority: d.priority,
          weight: weightAt.get(`${i}/${j}`) ?? 1,
          versionUpgradeOption: d.versionUpgradeOption,
          raiPolicyName: d.raiPolicyName,
          spilloverDeployment: d.spilloverDeployment,
          spilloverFor: b.deployments.find((p) => p.spilloverDeployment === d.name)?.name,
          configPath,
        };
      }),
    };
  });

  const regionCount = 1 + config.gateway.additionalLocations.length;
  const localityOf = (route: string): LocalityMode =>
    config.routing.routeLocality?.[route] ?? config.routing.locality ?? (regionCount > 1 ? "geography" : "off");
  const routes = buildRoutes(accounts, warnings, localityOf);
  const quotaPools = buildQuotaPools(config, accounts, catalog, warnings);

  const tier = TIERS[config.gateway.sku];
  warnings.push(...monitoringWarnings(config, tier), ...plainCredentialWarnings(config));
  const gatewaySub = sub(config.gateway.subscription);
  const totalTpm = routes.reduce((sum, r) => sum + r.usableTpm, 0);
  const serviceName = apimServiceName(config.gateway.name, gatewaySub.id, config.gateway.sku);
  const gatewayGroup = resourceGroup(config.gateway.resourceGroup, `${config.gateway.name}-gateway-rg`);
  const network = buildNetwork(
    config,
    {
      name: config.gateway.name,
      serviceName,
      sku: config.gateway.sku,
      location: config.gateway.location,
      subscription: gatewaySub,
      resourceGroup: gatewayGroup.name,
    },
    accounts,
    (id) => [...subs.values()].find((s) => s.id === id),
  );
  if (network) {
    warnings.push(
      ...networkWarnings(
        network,
        accounts.filter((a) => a.publicNetworkAccess === "Enabled").map((a) => a.key),
      ),
    );
  }
  const regions = gatewayRegions(config, serviceName, gatewaySub.id);
  const frontDoor: FrontDoorModel | null =
    TIER_REGIONS[config.gateway.sku].multiRegion === "frontDoor" && regions.length > 1
      ? {
          profileName: frontDoorName(config.gateway.name),
          endpointName: frontDoorName(config.gateway.name),
          sku: FRONT_DOOR.sku,
          urlPattern: `https://${frontDoorName(config.gateway.name)}-<hash>.<zone>.azurefd.net`,
          probePath: GATEWAY_STATUS_PATH,
          monthlyUsd: FRONT_DOOR.monthlyBaseUsd,
        }
      : null;
  const monthlyUsd =
    Math.round(
      (regions.reduce((sum, r) => sum + monthlyPrice(tier, r.capacity), 0) + (frontDoor?.monthlyUsd ?? 0)) * 100,
    ) / 100;
  return {
    gateway: {
      name: config.gateway.name,
      serviceName,
      url: gatewayUrl(serviceName),
      subscription: gatewaySub,
      location: config.gateway.location,
      sku: config.gateway.sku,
      capacity: config.gateway.capacity,
      tier,
      publisherEmail: config.gateway.publisherEmail,
      publisherName: config.gateway.publisherName,
      resourceGroup: gatewayGroup,
      monthlyUsd,
      zones: config.gateway.zones ?? [],
      regions,
      frontDoor,
      availability: availabilityOf(config.gateway.sku, regions),
    },
    routingMode: config.routing.mode,
    maxWaitSeconds: config.routing.maxWaitSeconds,
    subscriptions: [...subs.values()],
    accounts,
    routes,
    quotaPools,
    tags: config.tags,
    circuitBreaker: config.circuitBreaker,
    consumers: config.consumers,
    policies: config.policies,
    monitoring: config.monitoring,
    clientAuth: config.clientAuth,
    totalTpm,
    network,
    security: config.security,
    warnings: [...warnings, ...tokenLimitWarnings(config, totalTpm)],
    cloud: config.cloud,
    modelCatalog: config.modelCatalog,
  };
}

/** What the stack's tier or config leaves out of monitoring, said in `plan` (issue #12). */
function monitoringWarnings(config: ValidConfig, tier: TierInfo): string[] {
  const warnings: string[] = [];
  const { monitoring, policies } = config;
  if (!monitoring.enabled) {
    if (policies.tokenMetrics.enabled) {
      warnings.push(
        `${keyPath(["monitoring", "enabled"])} is false: no token metrics are emitted (they need the Application Insights logger), no logs, alerts or workbook are deployed`,
      );
    }
    return warnings;
  }
  if (!tier.azureMonitorLogs) {
    warnings.push(
      `monitoring on sku ${config.gateway.sku}: dropped are the diagnostic setting to Log Analytics (GatewayLogs, GatewayLlmLogs), LLM message logging, the client 429 and 5xx rate alerts and the workbook's 429, latency and LLM-log panels; kept are Application Insights, token metrics, the member 429 and quota utilisation alerts and the workbook's token panels`,
    );
  }
  return warnings;
}

/**
 * Every gateway region, primary first (issue #22). Classic Premium: locations of one service (one URL per
 * location: `<service>-<region>-01.regional.azure-api.net`); v2 tiers: one service per region.
 */
function gatewayRegions(config: ValidConfig, serviceName: string, subscriptionId: string): GatewayRegionModel[] {
  const g = config.gateway;
  const tier = TIERS[g.sku];
  const classic = TIER_REGIONS[g.sku].multiRegion === "additionalLocations";
  const several = g.additionalLocations.length > 0;
  const primary: GatewayRegionModel = {
    location: g.location,
    geography: geographyOf(g.location),
    capacity: g.capacity,
    zones: g.zones ?? [],
    primary: true,
    serviceName,
    url: classic && several ? regionalGatewayUrl(serviceName, g.location) : gatewayUrl(serviceName),
  };
  return [
    primary,
    ...g.additionalLocations.map((l): GatewayRegionModel => {
      const name = classic ? serviceName : regionalServiceName(g.name, subscriptionId, l.location);
      return {
        location: l.location,
        geography: geographyOf(l.location),
        capacity: l.capacity ?? tier.minUnits,
        zones: l.zones ?? [],
        primary: false,
        serviceName: name,
        url: classic ? regionalGatewayUrl(name, l.location) : gatewayUrl(name),
      };
    }),
  ];
}

/** A classic multi-region service's regional gateway URL (Learn, api-management-howto-deploy-multi-region). */
export function regionalGatewayUrl(serviceName: string, location: string): string {
  return `https://${serviceName}-${location}-01.regional.azure-api.net`;
}

function buildRoutes(
  accounts: readonly AccountModel[],
  warnings: string[],
  localityOf: (route: string) => LocalityMode,
): RouteModel[] {
  const byName = new Map<string, { model: string; members: Omit<RouteMember, "share">[] }>();
  for (const account of accounts) {
    for (const d of account.deployments) {
      const route = byName.get(d.name) ?? { model: d.model, members: [] };
      const target =
        d.spilloverDeployment === undefined
          ? undefined
          : account.deployments.find((t) => t.name === d.spilloverDeployment);
      route.members.push({
        backendId: backendId(account.key, d.name),
        accountKey: account.key,
        accountEndpoint: account.endpoint,
        subscription: account.subscription,
        location: account.location,
        deployment: d,
        priority: d.priority,
        weight: d.weight,
        ...(target ? { spillover: { deployment: target, backendId: backendId(account.key, target.name) } } : {}),
      });
      byName.set(d.name, route);
    }
  }
  // A route whose every member is a native spillover target is the overflow of PTU members (issue #17).
  const spilloverOnly = new Set(
    [...byName.entries()]
      .filter(([, r]) => r.members.every((m) => m.deployment.spilloverFor !== undefined))
      .map(([name]) => name),
  );
  return [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => {
      const sorted = [...r.members].sort((a, b) => a.priority - b.priority || a.accountKey.localeCompare(b.accountKey));
      const top = sorted[0].priority;
      const topWeight = sorted.filter((m) => m.priority === top).reduce((s, m) => s + m.weight, 0);
      const members: RouteMember[] = sorted.map((m) => ({
        ...m,
        share: m.priority === top && topWeight > 0 ? m.weight / topWeight : 0,
      }));
      const only = spilloverOnly.has(name);
      if (members.length === 1 && !only) {
        warnings.push(
          `route ${name}: one member only, so a 429 from it reaches the client (add a backend in another quota pool to fail over)`,
        );
      }
      const overflowTpm = (m: RouteMember) =>
        m.spillover && spilloverOnly.has(m.spillover.deployment.name) ? (m.spillover.deployment.capacityTpm ?? 0) : 0;
      return {
        name,
        model: r.model,
        members,
        usableTpm: only ? 0 : members.reduce((s, m) => s + (m.deployment.capacityTpm ?? 0) + overflowTpm(m), 0),
        spilloverOnly: only,
        locality: localityOf(name),
      };
    });
}

function buildQuotaPools(
  config: ValidConfig,
  accounts: readonly AccountModel[],
  catalog: Catalog,
  warnings: string[],
): QuotaPoolModel[] {
  const pools = new Map<
    string,
    {
      sub: SubscriptionModel;
      location: string;
      model: string;
      sku: DeploymentType;
      models: Set<string>;
      draws: QuotaPoolDraw[];
    }
  >();
  for (const account of accounts) {
    for (const d of account.deployments) {
      // Provisioned quota is granted per subscription, region and deployment
      // type and shared by every model (since August 2024; issue #11).
      const model = d.provisioned ? "*" : d.model;
      const key = [account.subscription.id, account.location, model, d.sku].join("|");
      const pool = pools.get(key) ?? {
        sub: account.subscription,
        location: account.location,
        model,
        sku: d.sku,
        models: new Set<string>(),
        draws: [],
      };
      pool.models.add(d.model);
      pool.draws.push({
        accountKey: account.key,
        deployment: d.name,
        capacity: d.capacity,
        configPath: d.configPath,
      });
      pools.set(key, pool);
    }
  }
  const problems: string[] = [];
  const result = [...pools.values()].map((p): QuotaPoolModel => {
    const provisioned = isProvisioned(p.sku);
    // Request-metered models (images, whisper, tts): the pool counts requests a minute (issue #19).
    const perUnit = provisioned
      ? undefined
      : catalog.get(p.model)?.unit === "requests"
        ? (catalog.get(p.model)?.rpmPerUnit ?? 1)
        : undefined;
    const unit = provisioned ? "PTU" : perUnit !== undefined ? "RPM" : "TPM";
    const unitSize = provisioned ? 1 : (perUnit ?? 1000);
    const subIndex = config.subscriptions.findIndex((s) => s.alias === p.sub.alias);
    const override = config.subscriptions[subIndex]?.quotas.find(
      (q) => (provisioned || q.model === p.model) && q.sku === p.sku && q.location === p.location,
    );
    const overrideValue = override
      ? provisioned
        ? override.ptu
        : unit === "RPM"
          ? override.rpm
          : override.tpm
      : undefined;
    const fallback = provisioned ? undefined : defaultQuotaTpm(p.sub.offer, p.model, p.sku);
    const models = [...p.models].sort();
    const quota = overrideValue ?? fallback ?? null;
    const quotaSource = overrideValue !== undefined ? "override" : fallback !== undefined ? "default" : "unknown";
    const allocated = p.draws.reduce((s, d) => s + d.capacity * unitSize, 0);
    const name = `${p.sub.alias}/${p.location}/${p.model}/${p.sku}`;
    if (quota === null) {
      warnings.push(
        `quota pool ${name}: quota unknown for offer ${p.sub.offer}; ${allocated.toLocaleString("en-US")} ${unit} allocated is not checked (set ${keyPath(["subscriptions", subIndex, "quotas"])} to check it)`,
      );
    } else if (allocated > quota) {
      const draws = p.draws
        .map((d) => `${d.configPath} (${d.deployment}, ${(d.capacity * unitSize).toLocaleString("en-US")} ${unit})`)
        .join(", ");
      problems.push(
        `${keyPath(["backends"])}: quota pool ${name} is overcommitted: ${allocated.toLocaleString("en-US")} ${unit} allocated, quota ${quota.toLocaleString("en-US")} ${unit} (${quotaSource === "override" ? "override" : `${p.sub.offer} offer default`}); drawn by ${draws}. Lower capacity, move a deployment to another subscription or region, or raise the quota (and its override)`,
      );
    }
    return {
      subscription: p.sub,
      location: p.location,
      model: p.model,
      models,
      sku: p.sku,
      unit,
      quota,
      quotaSource,
      allocated,
      draws: p.draws,
    };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}
