/**
 * The stack config contract (namespace `aoai-gateway:`), as zod schemas.
 *
 * This file is pure: no Pulumi, no Azure. The shapes here are the user-facing
 * contract from issue #2; keys may be added, never renamed. Cross-field rules
 * (aliases, limits, tier features) live in `validate.ts`.
 */
import { z } from "zod";
import limits from "../data/azure-limits.json";
import regionsData from "../data/azure-regions.json";
import networking from "../data/apim-networking.json";
import tiers from "../data/apim-tiers.json";
import { didYouMean } from "./suggest";

export const CONFIG_NAMESPACE = "aoai-gateway";

export const APIM_SKUS = [
  "Consumption",
  "Developer",
  "Basic",
  "Standard",
  "Premium",
  "BasicV2",
  "StandardV2",
  "PremiumV2",
] as const;
export type ApimSku = (typeof APIM_SKUS)[number];

/** Real-time deployment types the gateway can route to. Batch types are served by the batch API, not through a gateway. */
export const STANDARD_DEPLOYMENT_TYPES = ["Standard", "GlobalStandard", "DataZoneStandard"] as const;
export const PROVISIONED_DEPLOYMENT_TYPES = [
  "ProvisionedManaged",
  "GlobalProvisionedManaged",
  "DataZoneProvisionedManaged",
] as const;
export const DEPLOYMENT_TYPES = [...STANDARD_DEPLOYMENT_TYPES, ...PROVISIONED_DEPLOYMENT_TYPES] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

export function isProvisioned(sku: DeploymentType): boolean {
  return (PROVISIONED_DEPLOYMENT_TYPES as readonly string[]).includes(sku);
}

/**
 * Which default quota table applies (infra/data/quota-defaults.json): the offer types of Microsoft's quota
 * page, and the quota tiers (Free, Tier1-Tier6) that replace them for subscriptions on quota tiers (issue #19).
 */
export const OFFERS = [
  "Default",
  "Enterprise",
  "PayAsYouGo",
  "MSDN",
  "Free",
  "Tier1",
  "Tier2",
  "Tier3",
  "Tier4",
  "Tier5",
  "Tier6",
] as const;

/** Azure clouds `aoai-gateway quota`, `capacity` and `catalog refresh` can read (issue #19). */
export const CLOUDS = ["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"] as const;
export type Cloud = (typeof CLOUDS)[number];
export type Offer = (typeof OFFERS)[number];

export const ROUTING_MODES = ["pool", "policy"] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

export const VERSION_UPGRADE_OPTIONS = [
  "OnceNewDefaultVersionAvailable",
  "OnceCurrentVersionExpired",
  "NoAutoUpgrade",
] as const;

export const REGIONS: readonly string[] = regionsData.regions;
export const LIMITS = limits;
export const TIERS: Record<ApimSku, TierInfo> = tiers.tiers;

export interface TierInfo {
  readonly family: string;
  readonly circuitBreaker: boolean;
  readonly minUnits: number;
  readonly maxUnits: number;
  readonly monthlyBaseUsd: number;
  readonly perUnitUsd: number;
  readonly pricingNote: string;
  /** Whether the tier runs the azure-openai-token-limit policy. */
  readonly tokenLimitPolicy: boolean;
  /** APIM backends (members plus pools) one service may hold, or null where none is published. */
  readonly maxBackends: number | null;
  /** Largest policy document the tier accepts, in bytes. */
  readonly maxPolicyDocumentBytes: number;
  /**
   * Whether this project sends the tier's resource logs (GatewayLogs, GatewayLlmLogs) to Log Analytics and
   * turns on LLM message logging. False for Consumption: see the data file's $comment (issue #12).
   */
  readonly azureMonitorLogs: boolean;
}

/**
 * A strict object whose unknown-key error lists the keys that are allowed,
 * so a typo is answered with the right spelling.
 */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const keys = Object.keys(shape);
  const allowed = keys.join(", ");
  // A single unknown key is most often a typo of an allowed one (issue #11).
  const suggestion = (unknown: string[]) => (unknown.length === 1 ? didYouMean(unknown[0], keys, " (", ")") : "");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}${suggestion(issue.keys)}; allowed keys: ${allowed}`
        : undefined,
  });
}

const positiveInt = () => z.number().int().positive();

/**
 * A Pulumi secret as the stack file holds it: `pulumi config set --secret` (and, inside a structured key,
 * `pulumi config set --path --secret 'aoai-gateway:monitoring.alerts.webhooks[0]' URL`) writes a map with the
 * one key `secure` whose value is the ciphertext: `v1:<nonce>:<ciphertext>` for the passphrase and cloud KMS
 * providers, base64 without a prefix for Pulumi Cloud (issue #17). Offline we can check only this shape; the
 * engine decrypts every such leaf before the program runs and marks the whole top-level key secret
 * (pulumi/pulumi#3342: "available to Pulumi programs as JSON strings with all secret leaf values decrypted").
 */
export const SECURE_CIPHERTEXT = /^(?:v1:[A-Za-z0-9+/=_-]+(?::[A-Za-z0-9+/=_-]+)+|[A-Za-z0-9+/=]+)$/;

/** What a secret-capable key accepts besides its plain value, for messages. */
export const SECURE_ALLOWED =
  "a Pulumi secret: a map with the one key secure holding the ciphertext (secure: v1:...), as `pulumi config set --path --secret KEY VALUE` writes it";

export const SecureValueSchema = z.strictObject(
  {
    secure: z.string().regex(SECURE_CIPHERTEXT, {
      error:
        "allowed: Pulumi ciphertext (v1:<nonce>:<ciphertext>, or base64 from Pulumi Cloud), as `pulumi config set --secret` writes it",
    }),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} beside secure; allowed: ${SECURE_ALLOWED}`
        : undefined,
  },
);

/** An encrypted config value the offline CLI cannot read: shown as `[secret]`, never printed. */
export interface EncryptedValue {
  readonly secure: string;
}

/** What every command shows in place of a secret value. */
export const SECRET_SHOWN = "[secret]";

export function isEncrypted(v: unknown): v is EncryptedValue {
  return (
    v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { secure?: unknown }).secure === "string"
  );
}

/**
 * A config value that can carry a credential (issue #17): the plain value `plain` accepts, or a Pulumi secret
 * (`secure: v1:...`). Every key built with it is kept a Pulumi secret by the program (`pulumi.secret`) whichever
 * way the stack file holds it; a plain value that looks like a credential gets a warning (validate.ts).
 * `allowed` is the plain rule, for messages.
 */
export function secretCapable(plain: z.ZodType<string>, allowed: string) {
  return z.union([plain, SecureValueSchema], {
    error: (issue) =>
      issue.input !== null && typeof issue.input === "object" && !Array.isArray(issue.input)
        ? `allowed: ${allowed}, or ${SECURE_ALLOWED}`
        : `allowed: ${allowed}`,
  });
}

const region = z.string().refine((r) => REGIONS.includes(r), {
  error:
    "unknown Azure region; allowed: an Azure region name in lowercase without spaces, e.g. swedencentral, eastus2 (list: infra/data/azure-regions.json)",
});

const alias = z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, {
  error: "allowed: 1-24 chars, lowercase letters, digits and hyphens, starting with a letter",
});

const tags = z.record(z.string().min(1).max(512), z.string().max(256));

/** Availability zones as ARM names them. */
const zonesSchema = z
  .array(z.enum(["1", "2", "3"]))
  .min(1)
  .refine((zones) => new Set(zones).size === zones.length, { error: "allowed: each zone once" });

/** The most further gateway regions a stack may list (a guard, not an Azure limit). */
export const MAX_ADDITIONAL_LOCATIONS = 9;

/** One further gateway region (issue #22). */
export const GatewayLocationSchema = strictObject({
  location: region,
  /** Scale units in this region. Default: the tier's minimum. */
  capacity: positiveInt().optional(),
  /** Availability zones in this region (see `zones`). Default: none. */
  zones: zonesSchema.optional(),
});

export const GatewaySchema = strictObject({
  /** Name prefix for every resource. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, {
    error:
      "allowed: 3-20 chars, lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
  }),
  subscription: alias,
  location: region,
  sku: z.enum(APIM_SKUS),
  /** Scale units. Default 1; Consumption has none (0). */
  capacity: z.number().int().nonnegative().optional(),
  publisherEmail: z.email({ error: "allowed: an email address" }),
  publisherName: z.string().min(1).max(100),
  /** Existing resource group to deploy the gateway into; when absent one is created. */
  resourceGroup: z.string().min(1).max(90).optional(),
  /**
   * Availability zones of the primary location (issue #22). Premium: any of "1", "2", "3", with `capacity`
   * a multiple of their count; Standard v2 and Premium v2: zone redundancy, set when the service is created
   * (changing it later replaces the service). Default: none (Azure's own choice for Premium).
   */
  zones: zonesSchema.optional(),
  /**
   * Further gateway regions (issue #22). Premium: additional locations of the one service (one control
   * plane, one set of keys and named values). Basic v2, Standard v2, Premium v2: one more gateway per entry,
   * all behind one Azure Front Door. Other tiers: none. Default: none (one region).
   */
  additionalLocations: z.array(GatewayLocationSchema).max(MAX_ADDITIONAL_LOCATIONS).default([]),
});

export const QuotaOverrideSchema = strictObject({
  /** Required for Standard types. Ignored for provisioned types: PTU quota is model-independent (issue #11). */
  model: z.string().min(1).optional(),
  sku: z.enum(DEPLOYMENT_TYPES),
  location: region,
  /** Quota of a Standard-family pool, tokens per minute. */
  tpm: z.number().int().nonnegative().optional(),
  /** Quota of a provisioned pool, in PTUs. */
  ptu: z.number().int().nonnegative().optional(),
  /** Quota of a request-metered pool (image, whisper and tts models), requests per minute. */
  rpm: z.number().int().nonnegative().optional(),
});

export const SubscriptionSchema = strictObject({
  alias,
  id: z.guid({ error: "allowed: a subscription GUID like 00000000-0000-0000-0000-000000000000" }),
  offer: z.enum(OFFERS).default("Default"),
  quotas: z.array(QuotaOverrideSchema).default([]),
});

export const DeploymentSchema = strictObject({
  /** The deployment name clients call; one route (pool) per name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: "allowed: 1-64 chars, letters, digits, '.', '_' and '-', starting with a letter or digit",
  }),
  model: z.string().min(1),
  version: z.string().min(1),
  sku: z.enum(DEPLOYMENT_TYPES),
  /** Standard family: thousands of TPM. Provisioned family: PTUs. */
  capacity: positiveInt(),
  priority: z.number().int().min(LIMITS.poolPriority.min).max(LIMITS.poolPriority.max).default(1),
  weight: z.number().int().min(LIMITS.poolWeight.min).max(LIMITS.poolWeight.max).optional(),
  /** Provisioned only: estimated TPM one PTU yields for this model (Microsoft's capacity calculator). */
  tpmPerPtu: positiveInt().optional(),
  versionUpgradeOption: z.enum(VERSION_UPGRADE_OPTIONS).default("OnceCurrentVersionExpired"),
  /** Content filter policy; Azure applies Microsoft.DefaultV2 when absent. */
  raiPolicyName: z.string().min(1).optional(),
  /**
   * Provisioned only: a standard deployment of the same account, model and version that serves the traffic
   * above the PTUs without a 429 round trip (Azure OpenAI native spillover, `spilloverDeploymentName`).
   */
  spilloverDeployment: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: "allowed: the name of a deployment in the same backend entry",
    })
    .optional(),
});

/**
 * A backend's stable key: its account name is `<gateway>-<alias>-<region>`
 * without one and `<gateway>-<alias>-<region>-<key>` with one, so names do not
 * depend on where the entry sits in the list (issue #11).
 */
export const BACKEND_KEY_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/;

export const BackendSchema = strictObject({
  /** Optional stable key; required on all but one entry of a subscription+region. */
  key: z
    .string()
    .regex(BACKEND_KEY_PATTERN, {
      error: "allowed: 1-16 chars, lowercase letters, digits and hyphens, not starting or ending with a hyphen",
    })
    .optional(),
  subscription: alias,
  location: region,
  /** Existing resource group for this account; when absent one is created. */
  resourceGroup: z.string().min(1).max(90).optional(),
  /**
   * Whether the account answers calls from the internet. Default: Disabled when aoai-gateway:network is set
   * (the gateway reaches the account through its private endpoint), else Enabled (issue #20).
   */
  publicNetworkAccess: z.enum(["Enabled", "Disabled"]).optional(),
  tags: tags.default({}),
  deployments: z.array(DeploymentSchema).min(1),
});

/**
 * A stack's own additions to the model catalog (infra/data/model-catalog.json),
 * for models, versions or regions newer than the file. Each entry adds offers;
 * it never removes one.
 */
export const CatalogEntrySchema = strictObject({
  model: z.string().min(1),
  /** Versions offered. */
  versions: z.array(z.string().min(1)).min(1),
  /** Deployment types offered. */
  skus: z.array(z.enum(DEPLOYMENT_TYPES)).min(1),
  /** Regions offering them; absent: every region. */
  regions: z.array(region).optional(),
  /** Provisioned types: smallest deployment in PTUs. Default: the file's value, else 1. */
  ptuMinimum: positiveInt().optional(),
  /** Provisioned types: step above the minimum in PTUs. Default: the file's value, else 1. */
  ptuIncrement: positiveInt().optional(),
  /**
   * How a Standard-family deployment's capacity is counted: tokens (1 = 1,000 TPM) or requests (1 = rpmPerUnit
   * requests a minute: image, whisper and tts models). Default: the file's value, else tokens.
   */
  unit: z.enum(["tokens", "requests"]).optional(),
  /** Token-metered models: requests per minute that come with each 1,000 TPM (Azure's fixed ratio, issue #19). */
  rpmPer1000Tpm: z.number().positive().optional(),
  /** Request-metered models: requests per minute per capacity unit. */
  rpmPerUnit: z.number().positive().optional(),
  /** Token-metered models: list prices in USD per 1M tokens for the entry's Standard-family types (cost estimate). */
  prices: strictObject({
    input: z.number().nonnegative(),
    /** Default: the input price. */
    cachedInput: z.number().nonnegative().optional(),
    output: z.number().nonnegative(),
  }).optional(),
  /** Request-metered models: list price in USD per request (cost estimate). */
  usdPerRequest: z.number().nonnegative().optional(),
});

/** Default of `routing.maxWaitSeconds` (issue #21): one 10-second rate-limit window; measured in docs/simulate.md. */
export const DEFAULT_MAX_WAIT_SECONDS = 10;
/** Largest `routing.maxWaitSeconds`: the wait polls once a second inside APIM's retry, whose count is at most 50. */
export const MAX_WAIT_SECONDS_LIMIT = 30;
export const LOCALITY_MODES = ["off", "region", "geography"] as const;
export type LocalityMode = (typeof LOCALITY_MODES)[number];

export const RoutingSchema = strictObject({
  /** pool: APIM backend pools with circuit breakers; policy: selection in policy expressions. */
  mode: z.enum(ROUTING_MODES).optional(),
  /**
   * Bounded wait (issue #21): when every member of a route is throttled and the soonest is back within this many
   * seconds of the request's arrival, the gateway holds the request and retries then instead of answering 429.
   * 0 turns the wait off. Default 10.
   */
  maxWaitSeconds: z.number().int().min(0).max(MAX_WAIT_SECONDS_LIMIT).optional(),
  /**
   * Locality-aware routing (issue #22): inside each priority group, members in the gateway region that serves
   * the request come first (`region`), then members in the same geography (`geography`), then the rest;
   * priorities still come first. Default: `geography` when the gateway runs in more than one region, else `off`.
   */
  locality: z.enum(LOCALITY_MODES).optional(),
  /** Per route (deployment name): its own locality, overriding `locality`. Default: none. */
  routeLocality: z.record(z.string().min(1), z.enum(LOCALITY_MODES)).optional(),
});

const isoDuration = z.string().regex(/^PT(?=\d)(\d+H)?(\d+M)?(\d+S)?$/, {
  error: "allowed: an ISO 8601 duration in hours, minutes and seconds, e.g. PT30S, PT1M, PT1H",
});

/**
 * The circuit-breaker rule on every member backend (pool mode). Defaults trip
 * on the first 429 and honour the backend's own Retry-After: Azure OpenAI's
 * 429 already means "this quota pool is exhausted for Retry-After seconds", so
 * waiting for a second failure only sends another request into a wall.
 */
export const CircuitBreakerSchema = strictObject({
  /** Failures within `interval` that trip the breaker. Default 1. */
  failureCount: z.number().int().min(1).max(10000).default(1),
  /** Window the failures are counted in. Default PT1M. */
  interval: isoDuration.default("PT1M"),
  /** How long a tripped backend stays out when the response has no Retry-After. Default PT1M. */
  tripDuration: isoDuration.default("PT1M"),
  /** Trip for the backend's own Retry-After instead of tripDuration. Default true. */
  acceptRetryAfter: z.boolean().default(true),
  /** Count 500-599, connection failures and timeouts as failures too (an unhealthy region). Default true. */
  tripOnServerErrors: z.boolean().default(true),
});

/** A consumer team: one APIM subscription (its own key) to the gateway's product. */
export const TOKEN_QUOTA_PERIODS = ["Hourly", "Daily", "Weekly", "Monthly", "Yearly"] as const;
export type TokenQuotaPeriod = (typeof TOKEN_QUOTA_PERIODS)[number];

export const ConsumerSchema = strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, {
    error: "allowed: 1-50 chars, lowercase letters, digits and hyphens, starting with a letter",
  }),
  displayName: z.string().min(1).max(100).optional(),
  /** This team's tokens per minute (llm-token-limit keyed by its subscription); over it the client gets 429. Default: none (policies.tokenLimit applies when enabled). */
  tokensPerMinute: positiveInt().optional(),
  /** This team's token quota per `tokenQuotaPeriod`; over it the client gets 403. Default: none. */
  tokenQuota: positiveInt().optional(),
  /** Period of `tokenQuota`; required with it. */
  tokenQuotaPeriod: z.enum(TOKEN_QUOTA_PERIODS).optional(),
});

/** Optional policy features, off by default (hooks for later capabilities). */
export const PoliciesSchema = strictObject({
  tokenLimit: strictObject({
    enabled: z.boolean().default(false),
    /** Tokens per minute per consumer key (azure-openai-token-limit). Default 100000. */
    tokensPerMinute: z.number().int().positive().default(100000),
  }).default({ enabled: false, tokensPerMinute: 100000 }),
  tokenMetrics: strictObject({
    /** Emit token metrics (needs monitoring.enabled, which creates the Application Insights logger). Default true. */
    enabled: z.boolean().default(true),
    /** Application Insights custom metric namespace. Default aoai-gateway. */
    namespace: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/)
      .default("aoai-gateway"),
  }).default({ enabled: true, namespace: "aoai-gateway" }),
});

const armId = (provider: string, example: string) =>
  z
    .string()
    .regex(new RegExp(`^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/${provider}/[^/]+$`, "i"), {
      error: `allowed: the ARM resource id of an existing ${provider} resource, e.g. ${example}`,
    });

/** How API Management joins the gateway's virtual network (issue #20; infra/data/apim-networking.json). */
export const GATEWAY_NETWORK_MODES = ["Integration", "External", "Internal"] as const;
export type GatewayNetworkMode = (typeof GATEWAY_NETWORK_MODES)[number];
export const NETWORKING = networking;

export const ENDPOINT_APPROVALS = ["Automatic", "Manual"] as const;

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/** A full ARM id of `type` (`Microsoft.Network/virtualNetworks/subnets` has two name segments). */
const fullArmId = (type: string, example: string) => {
  const [namespace, ...types] = type.split("/");
  const segments = types.map((t) => `/${t}/[^/]+`).join("");
  return z
    .string()
    .regex(new RegExp(`^/subscriptions/${GUID}/resourceGroups/[^/]+/providers/${namespace}${segments}$`, "i"), {
      error: `allowed: the full ARM id of an existing ${type}, e.g. ${example}`,
    });
};

export const SUBNET_ID_EXAMPLE =
  "/subscriptions/<subscription id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>";
const subnetId = fullArmId("Microsoft.Network/virtualNetworks/subnets", SUBNET_ID_EXAMPLE);
const zoneId = (zone: string) =>
  fullArmId(
    "Microsoft.Network/privateDnsZones",
    `/subscriptions/<subscription id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/${zone}`,
  );

const cidr = z.cidrv4({ error: "allowed: an IPv4 CIDR block, e.g. 10.40.0.0/24" });

/** A virtual network the stack creates in the gateway's subscription and region. */
export const CreatedNetworkSchema = strictObject({
  /** The network's address space, /26 or larger. */
  addressSpace: cidr,
  /** API Management's subnet. Default: the first /27 of addressSpace. */
  gatewaySubnet: cidr.optional(),
  /** The private endpoints' subnet. Default: the second /27 of addressSpace. */
  privateEndpointSubnet: cidr.optional(),
});

/** Subnets that exist (hub-spoke), by full ARM id; the subscriptions in the ids must be listed in aoai-gateway:subscriptions. */
export const ExistingSubnetsSchema = strictObject({
  /** API Management's subnet: in the gateway's subscription and region (Azure requires both). */
  gateway: subnetId,
  /** The private endpoints' subnet: any listed subscription; the endpoints are created there. */
  privateEndpoints: subnetId,
  /** Region of the private endpoints' virtual network. Default: gateway.location. */
  privateEndpointLocation: region.optional(),
  /** Existing resource group for the private endpoints. Default: the gateway's group when the subnet is in the gateway's subscription; required otherwise. */
  privateEndpointResourceGroup: z.string().min(1).max(90).optional(),
});

export const NetworkSchema = strictObject({
  /** Create a virtual network (one of virtualNetwork or subnets). */
  virtualNetwork: CreatedNetworkSchema.optional(),
  /** Use existing subnets (one of virtualNetwork or subnets). */
  subnets: ExistingSubnetsSchema.optional(),
  /** How API Management joins the network. Default: Integration on Standard v2 and Premium v2, External on Developer and Premium. */
  gatewayMode: z.enum(GATEWAY_NETWORK_MODES).optional(),
  /** An inbound private endpoint (group Gateway) so clients in the network reach the gateway privately. Default false. */
  gatewayPrivateEndpoint: z.boolean().default(false),
  /**
   * The gateway's public network access. Default Enabled. Disabled needs gatewayPrivateEndpoint, and Azure
   * refuses it while the service is created or has no approved private endpoint: set it in a later `up`.
   */
  gatewayPublicNetworkAccess: z.enum(["Enabled", "Disabled"]).default("Enabled"),
  /** How the accounts' private endpoint connections are approved. Default Automatic (the deploying identity may approve). */
  privateEndpointApproval: z.enum(ENDPOINT_APPROVALS).default("Automatic"),
  /** Existing private DNS zones to register in (e.g. a hub's), by ARM id; absent: the stack creates them. */
  dnsZones: strictObject({
    /** privatelink.openai.azure.com */
    openai: zoneId("privatelink.openai.azure.com").optional(),
    /** privatelink.azure-api.net (with gatewayPrivateEndpoint) */
    apim: zoneId("privatelink.azure-api.net").optional(),
  }).default({}),
  /** Link the zones to the gateway's virtual network. Default true; false when the hub already links them or forwards to a resolver that sees them. */
  linkDnsZones: z.boolean().default(true),
  /** Classic injection: an existing Standard SKU public IPv4 address, by ARM id. Default: the stack creates one. */
  gatewayPublicIpId: fullArmId(
    "Microsoft.Network/publicIPAddresses",
    "/subscriptions/<subscription id>/resourceGroups/<rg>/providers/Microsoft.Network/publicIPAddresses/<name>",
  ).optional(),
});

/** Alert thresholds (issue #12); each alert evaluates over `windowMinutes`. */
export const AlertsSchema = strictObject({
  /** Deploy the alert rules. Default true. */
  enabled: z.boolean().default(true),
  /** Addresses the action group emails. Default: none. */
  emails: z.array(z.email({ error: "allowed: an email address" })).default([]),
  /** HTTPS endpoints the action group posts to (common alert schema). Default: none. */
  webhooks: z
    .array(secretCapable(z.url({ protocol: /^https$/, error: "allowed: an https:// URL" }), "an https:// URL"))
    .default([]),
  /** Window (and frequency) of every alert, minutes: 5, 15, 30 or 60. Default 5. */
  windowMinutes: z.union([z.literal(5), z.literal(15), z.literal(30), z.literal(60)]).default(5),
  /** Share of client requests answered 429, percent. Default 5. */
  client429Percent: z.number().min(0).max(100).default(5),
  /** 429s one member returns to the gateway within the window (each can trip its breaker). Default 10. */
  member429Count: positiveInt().default(10),
  /** Share of client requests answered 5xx, percent. Default 5. */
  serverErrorPercent: z.number().min(0).max(100).default(5),
  /** Tokens used per minute in a quota pool as a share of the pool's quota, percent. Default 80. */
  quotaUtilisationPercent: z.number().min(1).max(100).default(80),
});

export const LlmLogsSchema = strictObject({
  /** Log token usage per request to ApiManagementGatewayLlmLog (not on Consumption). Default true. */
  enabled: z.boolean().default(true),
  /** Also log prompts (request messages). Default false: prompts may hold personal data. */
  logPrompts: z.boolean().default(false),
  /** Also log completions (response messages). Default false. */
  logCompletions: z.boolean().default(false),
  /** Largest message logged in one entry, bytes (APIM allows up to 262144). Default 32768. */
  maxMessageBytes: z.number().int().min(1).max(262144).default(32768),
});

/** Telemetry deployed with the stack (issue #12). On by default. */
export const MonitoringSchema = strictObject({
  /** Deploy monitoring. Default true. */
  enabled: z.boolean().default(true),
  /** Existing Log Analytics workspace to use instead of creating one. */
  workspaceId: armId(
    "Microsoft.OperationalInsights/workspaces",
    "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>",
  ).optional(),
  /** Existing workspace-based Application Insights to use instead of creating one (needs workspaceId). */
  appInsightsId: armId(
    "Microsoft.Insights/components",
    "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Insights/components/<name>",
  ).optional(),
  /** Retention of a created workspace, days (30-730). Default 30. */
  retentionDays: z.number().int().min(30).max(730).default(30),
  /** Share of requests the Application Insights diagnostic samples, percent. Default 100. */
  samplingPercentage: z.number().min(0).max(100).default(100),
  llmLogs: LlmLogsSchema.default({ enabled: true, logPrompts: false, logCompletions: false, maxMessageBytes: 32768 }),
  alerts: AlertsSchema.default({
    enabled: true,
    emails: [],
    webhooks: [],
    windowMinutes: 5,
    client429Percent: 5,
    member429Count: 10,
    serverErrorPercent: 5,
    quotaUtilisationPercent: 80,
  }),
});

export const CLIENT_AUTH_MODES = ["key", "key-and-entra", "entra-only"] as const;
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

/** How clients authenticate to the gateway (issue #12). */
export const ClientAuthSchema = strictObject({
  /** key: subscription key only; key-and-entra: both; entra-only: an Entra ID token, no key. Default key. */
  mode: z.enum(CLIENT_AUTH_MODES).default("key"),
  /** Entra ID tenant that issues client tokens. Required unless mode is key. */
  tenantId: z.guid({ error: "allowed: a tenant GUID like 00000000-0000-0000-0000-000000000000" }).optional(),
  /** Accepted token audiences (the gateway app registration's Application ID URI or client id). */
  audiences: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9:/._-]{0,199}$/, { error: "allowed: an app id URI (api://...) or a client id" }),
    )
    .default([]),
  /** Client application (app) ids allowed to call. */
  clientAppIds: z.array(z.guid({ error: "allowed: an application (client) id GUID" })).default([]),
  /** App roles a token must carry one of (roles claim). */
  roles: z
    .array(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/, {
        error: "allowed: an app role value: letters, digits, '.', '_' and '-'",
      }),
    )
    .default([]),
});

/**
 * Security defaults (issue #18, docs/security.md). Every key is on by default: switching one off re-opens a
 * way for one team to use the gateway beyond its limit.
 */
export const SecuritySchema = strictObject({
  /**
   * Every caller without its own `tokensPerMinute`/`tokenQuota` (consumers without limits, Entra ID apps) is held
   * to `policies.tokenLimit.tokensPerMinute`, as if `policies.tokenLimit.enabled` were true. false: such callers
   * have no limit (the behaviour before 0.3). Default true.
   */
  limitEveryCaller: z.boolean().default(true),
  /**
   * Calls that report no token usage (audio transcription, translation and speech, image generation and edits)
   * per caller per minute (rate-limit-by-key on the caller); 0: no limit. Default 60.
   */
  unmeteredCallsPerMinute: z.number().int().min(0).max(1000000).default(60),
});

export const RootSchema = strictObject({
  gateway: GatewaySchema,
  subscriptions: z.array(SubscriptionSchema).min(1),
  backends: z.array(BackendSchema).min(1),
  routing: RoutingSchema.default({}),
  circuitBreaker: CircuitBreakerSchema.default({
    failureCount: 1,
    interval: "PT1M",
    tripDuration: "PT1M",
    acceptRetryAfter: true,
    tripOnServerErrors: true,
  }),
  consumers: z.array(ConsumerSchema).default([]),
  policies: PoliciesSchema.default({
    tokenLimit: { enabled: false, tokensPerMinute: 100000 },
    tokenMetrics: { enabled: true, namespace: "aoai-gateway" },
  }),
  monitoring: MonitoringSchema.default({
    enabled: true,
    retentionDays: 30,
    samplingPercentage: 100,
    llmLogs: { enabled: true, logPrompts: false, logCompletions: false, maxMessageBytes: 32768 },
    alerts: {
      enabled: true,
      emails: [],
      webhooks: [],
      windowMinutes: 5,
      client429Percent: 5,
      member429Count: 10,
      serverErrorPercent: 5,
      quotaUtilisationPercent: 80,
    },
  }),
  clientAuth: ClientAuthSchema.default({ mode: "key", audiences: [], clientAppIds: [], roles: [] }),
  security: SecuritySchema.default({ limitEveryCaller: true, unmeteredCallsPerMinute: 60 }),
  tags: tags.default({}),
  modelCatalog: z.array(CatalogEntrySchema).default([]),
  /** The Azure cloud of the stack's subscriptions: the ARM endpoint and token scope `quota` reads through. Default AzureCloud. */
  cloud: z.enum(CLOUDS).default("AzureCloud"),
  /** Private networking (issue #20): absent, every account answers on its public endpoint. */
  network: NetworkSchema.optional(),
});

export type RawConfig = z.input<typeof RootSchema>;
export type ParsedConfig = z.output<typeof RootSchema>;
export type GatewayConfig = z.output<typeof GatewaySchema>;
export type SubscriptionConfig = z.output<typeof SubscriptionSchema>;
export type BackendConfig = z.output<typeof BackendSchema>;
export type DeploymentConfig = z.output<typeof DeploymentSchema>;
export type QuotaOverride = z.output<typeof QuotaOverrideSchema>;
export type CircuitBreakerConfig = z.output<typeof CircuitBreakerSchema>;
export type ConsumerConfig = z.output<typeof ConsumerSchema>;
export type PoliciesConfig = z.output<typeof PoliciesSchema>;
export type CatalogEntry = z.output<typeof CatalogEntrySchema>;
export type MonitoringConfig = z.output<typeof MonitoringSchema>;
export type AlertsConfig = z.output<typeof AlertsSchema>;
export type ClientAuthConfig = z.output<typeof ClientAuthSchema>;
export type NetworkConfig = z.output<typeof NetworkSchema>;
export type SecurityConfig = z.output<typeof SecuritySchema>;
