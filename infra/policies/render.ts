/**
 * APIM policy documents rendered from the Handlebars templates in `policies/`.
 * Pure: reads the template files and the topology, imports nothing from
 * Pulumi or Azure, and returns text. The `render` command writes exactly what
 * the Pulumi program attaches, because both call `renderPolicies`.
 *
 * Templates see a typed `PolicyContext` built from the topology and nothing
 * else (`createPolicyContext`). Handlebars runs with `strict: true` (a missing field
 * throws) and `knownHelpersOnly: true` (no custom helpers: the templates stay
 * readable as XML). APIM named values are written `\{{name}}` in a template
 * so Handlebars leaves `{{name}}` for APIM.
 *
 * The rendered text is well-formed XML, attached with format `xml` (ARM's
 * canonical form): C# expressions that contain `"` sit in single-quoted
 * attributes, and `<`, `>` and `&` are written `&lt;`, `&gt;` and `&amp;`,
 * which APIM, the shared linter and the emulator all decode the same way.
 */
import { readFileSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import Handlebars from "handlebars";
import type { RoutingMode } from "../config/schema";
import { regionalPoolId, regionalPriorities } from "../model/gateway-regions";
import {
  API_ID,
  API_PATH,
  MEMBER_HEADER,
  MULTIPART_OPERATIONS,
  OPERATOR_SUBSCRIPTION_ID,
  SUBSCRIPTION_KEY_QUERY,
  UNMETERED_OPERATIONS,
  poolId,
} from "../model/names";
import type { GatewayModel, RouteModel, Topology } from "../model/topology";

/** Where the templates live: `policies/*.hbs`, shared pieces in `policies/partials/*.hbs`. */
export const POLICY_TEMPLATE_DIR = resolve(__dirname, "..", "..", "policies");

/** The Entra ID resource (audience) of Azure OpenAI tokens for the gateway's managed identity. */
export const COGNITIVE_SERVICES_RESOURCE = "https://cognitiveservices.azure.com";

/** Scopes a rendered document is attached at. Only `api` is rendered today. */
export type PolicyScope = "api" | "service";

export interface RenderedPolicy {
  readonly scope: PolicyScope;
  /** The APIM entity the document is attached to (the API id for scope `api`). */
  readonly id: string;
  /** File name `render` writes: `<scope>-<id>.xml`. */
  readonly fileName: string;
  readonly xml: string;
}

/** ISO 8601 `PT#H#M#S` (the form the config schema accepts) in seconds. */
export function isoDurationSeconds(duration: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
  if (!m || duration === "PT") throw new Error(`not an ISO 8601 duration in hours, minutes and seconds: ${duration}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** One route member as the policy carries it: the selection data policy mode runs on. */
export interface PolicyMember {
  /** Key the selection loop excludes a tried candidate by: the member's backend id. */
  readonly id: string;
  /** APIM backend id of the member: one (account, deployment). */
  readonly backend: string;
  /** The account's data-plane base URL (`https://<account>.openai.azure.com/openai`): stored responses are pinned to it. */
  readonly url: string;
  /** Lower is used first. */
  readonly priority: number;
  /** Share of traffic inside its priority group. */
  readonly weight: number;
  /** Azure region (also how pool mode names the member that served: `x-ms-region`). */
  readonly location: string;
  /** Subscription alias. */
  readonly subscription: string;
  /**
   * Locality on (issue #22): the member's effective priority per gateway region (ARM name), which the policy
   * uses instead of `priority` when `context.Deployment.Region` is one of them (policies/partials/locality.hbs).
   */
  readonly regional?: Readonly<Record<string, number>>;
}

export interface PolicyRoute {
  /** Deployment name clients call. */
  readonly name: string;
  /** APIM backend id of the route's pool (exists in pool mode only). */
  readonly poolId: string;
  readonly memberCount: number;
  /** Sorted by priority, then account key (the topology's order). */
  readonly members: readonly PolicyMember[];
  /** `members` as a JSON literal, emitted into the policy. */
  readonly membersJson: string;
  /** Locality-aware routing is on for this route and the gateway has regions to prefer (issue #22). */
  readonly locality: boolean;
  /** Pool mode with locality: the route's pool per gateway region (ARM name), as a JSON literal; else "{}". */
  readonly regionalPoolsJson: string;
}

/** An account as sealed response ids name it (`id`: the topology's account key) and as pinned calls reach it (`url`). */
export interface PolicyAccount {
  readonly id: string;
  readonly url: string;
  readonly priority: number;
  readonly weight: number;
}

export interface PolicyContext {
  readonly apiId: string;
  /** The API's path (`openai`): the gateway's own answers name it. */
  readonly apiPath: string;
  readonly routingMode: RoutingMode;
  /** routingMode === "pool", for `{{#if}}`. */
  readonly poolMode: boolean;
  /**
   * `count` of the single retry: enough retries for the largest route to try
   * every member once (its member count minus 1), at least 1 (APIM's
   * minimum). Each call stops at its own candidates through the retry
   * condition. (Stored responses are no longer searched across accounts, #18.)
   */
  readonly retryCount: number;
  /** Prefix of every cache key the policy stores (per gateway, so a shared external cache cannot mix stacks). */
  readonly cacheKeyPrefix: string;
  readonly managedIdentityResource: string;
  /**
   * Seconds a member counts as throttled when its 429 carries no Retry-After,
   * and the Retry-After of the gateway's own 503: the circuit breaker's trip
   * duration (`aoai-gateway:circuitBreaker.tripDuration`), in both modes.
   */
  readonly fallbackRetryAfterSeconds: number;
  /** Deployment names, for the 404 message. */
  readonly deploymentList: string;
  /** Deployment names joined by commas (no spaces), for membership tests in expressions. */
  readonly routeNames: string;
  /** The answer to `GET /models` and `GET /v1/models`: the routes, in OpenAI's list format. */
  readonly modelsJson: string;
  /** Every account the gateway calls (`id` = account key, `url`): sealed response ids name their account by key (#18). */
  readonly accountsJson: string;
  /** The operator's APIM subscription id: the only caller that gets topology headers (#18, #21). */
  readonly operatorSubscriptionId: string;
  /** The query parameter APIM would read a key from; the policy refuses calls that use it (#18). */
  readonly subscriptionKeyQuery: string;
  /** Operation ids (without `v1-`) whose body is multipart/form-data, comma-separated. */
  readonly multipartOperations: string;
  /** Operation ids (without `v1-`) that report no token usage, comma-separated. */
  readonly unmeteredOperations: string;
  /** Calls per caller per minute on `unmeteredOperations` (`aoai-gateway:security.unmeteredCallsPerMinute`); 0: none. */
  readonly unmeteredCallsPerMinute: number;
  readonly routes: readonly PolicyRoute[];
  /**
   * Limit per caller for everyone without a limit of their own: on when `aoai-gateway:policies.tokenLimit.enabled`
   * or `aoai-gateway:security.limitEveryCaller` (default true, #18) says so and the tier has the token-limit policy.
   */
  readonly tokenLimit: { readonly enabled: boolean; readonly tokensPerMinute: number };
  /**
   * Token metrics (`aoai-gateway:policies.tokenMetrics`): on when enabled there and monitoring is on
   * (the metric needs the Application Insights logger, issue #12).
   */
  readonly tokenMetrics: { readonly enabled: boolean; readonly namespace: string };
  /** Per-team limits from `aoai-gateway:consumers[]` (issue #12), only teams that set one. */
  readonly consumerLimits: readonly ConsumerLimit[];
  /** Any token-limit policy is rendered (global or per team). */
  readonly anyTokenLimit: boolean;
  /** Add `stream_options.include_usage` to streamed chat completions, so streams are counted (metrics and limits). */
  readonly streamUsage: boolean;
  /** Entra ID client authentication (`aoai-gateway:clientAuth`). */
  readonly clientAuth: PolicyClientAuth;
  /** Every member backend with the dimension values the token metric reports for it. */
  readonly memberDimensions: readonly MemberDimension[];
  /** Per route: its deployment type when every member shares one, else "mixed" (pool mode names no member). */
  readonly routeDeploymentTypes: readonly { readonly name: string; readonly deploymentType: string }[];
  /** Some route routes by locality (issue #22): the policy reads `context.Deployment.Region`. */
  readonly anyLocality: boolean;
  /** Pool mode and some route has one pool per gateway region. */
  readonly regionalPools: boolean;
  /** The pinned-member request header (issue #21), honoured only for `operatorSubscriptionId`. */
  readonly memberHeader: string;
  /** Bounded wait for a throttled route (issue #21, `aoai-gateway:routing.maxWaitSeconds`). */
  readonly boundedWait: BoundedWait;
}

export interface BoundedWait {
  /** maxWaitSeconds > 0: the selection loop runs inside the waiting loop (policies/partials/bounded-wait.hbs). */
  readonly enabled: boolean;
  readonly maxWaitSeconds: number;
  /** The waiting loop's retry count: one turn per second of the wait, plus one (APIM allows 1..50). */
  readonly count: number;
}

export interface ConsumerLimit {
  /** The consumer's APIM subscription id (`sid` = consumer name). */
  readonly name: string;
  readonly tokensPerMinute: number | null;
  readonly tokenQuota: number | null;
  readonly tokenQuotaPeriod: string | null;
}

export interface PolicyClientAuth {
  /** validate-azure-ad-token is rendered (mode key-and-entra or entra-only). */
  readonly enabled: boolean;
  readonly mode: string;
  readonly tenantId: string;
  readonly audiences: readonly string[];
  readonly clientAppIds: readonly string[];
  readonly roles: readonly string[];
  readonly hasClientAppIds: boolean;
  readonly hasRoles: boolean;
  /** mode entra-only: the caller is its app, even when it also sends a key (#18). */
  readonly entraOnly: boolean;
}

export interface MemberDimension {
  readonly backend: string;
  /** `<subscription alias>/<region>`. */
  readonly location: string;
  readonly deploymentType: string;
}

/**
 * Identifiers that reach XML attributes, C# string literals and JSON in the
 * policy. The config schema already limits deployment names, aliases and
 * regions to these characters; this guards the promise that no escaping is
 * ever needed.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function safe(value: string, what: string): string {
  if (!SAFE_ID.test(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} cannot be written into a policy: allowed are letters, digits, '.', '_' and '-'`);
  }
  return value;
}

/** An account's data-plane base URL, as the member backends use it (gateway-backends.ts). */
function accountBaseUrl(endpoint: string): string {
  return `${endpoint}openai`;
}

/** The pool of `route` that gateway region `location` uses (the primary region keeps the route's own pool id). */
export function routePoolFor(route: string, location: string, gateway: GatewayModel): string {
  return location === gateway.location ? poolId(route) : regionalPoolId(route, location);
}

function routeContext(route: RouteModel, gateway: GatewayModel): PolicyRoute {
  const locality = route.locality !== "off";
  const byRegion = gateway.regions.map((r) => ({
    location: safe(r.location, "region"),
    priorities: regionalPriorities(route.members, r.location, route.locality),
  }));
  const members: PolicyMember[] = route.members.map((m, i) => ({
    id: safe(m.backendId, "backend id"),
    backend: safe(m.backendId, "backend id"),
    url: accountBaseUrl(m.accountEndpoint),
    priority: m.priority,
    weight: m.weight,
    location: safe(m.location, "region"),
    subscription: safe(m.subscription.alias, "subscription alias"),
    ...(locality ? { regional: Object.fromEntries(byRegion.map((r) => [r.location, r.priorities[i]])) } : {}),
  }));
  const regionalPools =
    locality && gateway.regions.length > 1
      ? Object.fromEntries(
          gateway.regions.map((r) => [r.location, safe(routePoolFor(route.name, r.location, gateway), "pool id")]),
        )
      : {};
  return {
    name: safe(route.name, "deployment name"),
    poolId: safe(poolId(route.name), "pool id"),
    memberCount: members.length,
    members,
    membersJson: JSON.stringify(members),
    locality,
    regionalPoolsJson: JSON.stringify(regionalPools),
  };
}

/**
 * The typed context every template renders from. Tier/feature combinations
 * (token limit on Consumption) are rejected earlier, by config validation.
 */
export function createPolicyContext(topology: Topology): PolicyContext {
  const { policies, circuitBreaker } = topology;
  const routes = topology.routes.map((r) => routeContext(r, topology.gateway));
  const accounts: PolicyAccount[] = topology.accounts.map((a) => ({
    id: safe(a.key, "account key"),
    url: accountBaseUrl(a.endpoint),
    priority: 1,
    weight: 1,
  }));
  const largest = Math.max(1, ...routes.map((r) => r.memberCount));
  const models = {
    object: "list",
    data: routes.map((r) => ({ id: r.name, object: "model", created: 0, owned_by: "aoai-gateway" })),
  };
  const tokenMetrics = {
    enabled: policies.tokenMetrics.enabled && topology.monitoring.enabled,
    namespace: safe(policies.tokenMetrics.namespace, "metric namespace"),
  };
  const consumerLimits: ConsumerLimit[] = topology.consumers
    .filter((c) => c.tokensPerMinute !== undefined || c.tokenQuota !== undefined)
    .map((c) => ({
      name: safe(c.name, "consumer name"),
      tokensPerMinute: c.tokensPerMinute ?? null,
      tokenQuota: c.tokenQuota ?? null,
      tokenQuotaPeriod: c.tokenQuotaPeriod ?? null,
    }));
  const everyCaller =
    policies.tokenLimit.enabled || (topology.security.limitEveryCaller && topology.gateway.tier.tokenLimitPolicy);
  const anyTokenLimit = everyCaller || consumerLimits.length > 0;
  return {
    apiId: API_ID,
    apiPath: API_PATH,
    routingMode: topology.routingMode,
    poolMode: topology.routingMode === "pool",
    // APIM's retry count is 1..50 (Learn, retry policy); a pool has at most 30 members.
    retryCount: Math.min(MAX_RETRY_COUNT, Math.max(1, largest - 1)),
    cacheKeyPrefix: `aoai-gateway:${safe(topology.gateway.name, "gateway name")}:`,
    managedIdentityResource: COGNITIVE_SERVICES_RESOURCE,
    fallbackRetryAfterSeconds: Math.max(1, isoDurationSeconds(circuitBreaker.tripDuration)),
    deploymentList: routes.map((r) => r.name).join(", "),
    routeNames: routes.map((r) => r.name).join(","),
    modelsJson: JSON.stringify(models),
    accountsJson: JSON.stringify(accounts),
    operatorSubscriptionId: OPERATOR_SUBSCRIPTION_ID,
    subscriptionKeyQuery: SUBSCRIPTION_KEY_QUERY,
    multipartOperations: MULTIPART_OPERATIONS.join(","),
    unmeteredOperations: UNMETERED_OPERATIONS.join(","),
    unmeteredCallsPerMinute: topology.gateway.tier.tokenLimitPolicy ? topology.security.unmeteredCallsPerMinute : 0,
    routes,
    tokenLimit: { enabled: everyCaller, tokensPerMinute: policies.tokenLimit.tokensPerMinute },
    tokenMetrics,
    consumerLimits,
    anyTokenLimit,
    streamUsage: tokenMetrics.enabled || anyTokenLimit,
    clientAuth: clientAuthContext(topology),
    memberDimensions: topology.routes.flatMap((r) =>
      r.members.map((m) => ({
        backend: safe(m.backendId, "backend id"),
        location: `${safe(m.subscription.alias, "subscription alias")}/${safe(m.location, "region")}`,
        deploymentType: m.deployment.sku,
      })),
    ),
    anyLocality: routes.some((r) => r.locality),
    regionalPools: topology.routingMode === "pool" && routes.some((r) => r.regionalPoolsJson !== "{}"),
    routeDeploymentTypes: topology.routes.map((r) => {
      const types = new Set(r.members.map((m) => m.deployment.sku));
      return { name: safe(r.name, "deployment name"), deploymentType: types.size === 1 ? [...types][0] : "mixed" };
    }),
    memberHeader: MEMBER_HEADER,
    boundedWait: {
      enabled: topology.maxWaitSeconds > 0,
      maxWaitSeconds: topology.maxWaitSeconds,
      count: Math.min(MAX_RETRY_COUNT, topology.maxWaitSeconds + 1),
    },
  };
}

/** The largest `count` the retry policy accepts. */
export const MAX_RETRY_COUNT = 50;

function clientAuthContext(topology: Topology): PolicyClientAuth {
  const auth = topology.clientAuth;
  const enabled = auth.mode !== "key";
  return {
    enabled,
    mode: auth.mode,
    tenantId: enabled ? safe(auth.tenantId ?? "", "tenant id") : "",
    audiences: auth.audiences.map((a) => safeAudience(a)),
    clientAppIds: auth.clientAppIds.map((a) => safe(a, "client app id")),
    roles: auth.roles.map((r) => safe(r, "role")),
    hasClientAppIds: auth.clientAppIds.length > 0,
    hasRoles: auth.roles.length > 0,
    entraOnly: auth.mode === "entra-only",
  };
}

/** Audiences are app id URIs (`api://name`) or GUIDs: the schema's characters need no escaping in XML element text. */
function safeAudience(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9:/._-]*$/.test(value)) {
    throw new Error(`audience ${JSON.stringify(value)} cannot be written into a policy`);
  }
  return value;
}

export const COMPILE_OPTIONS = { strict: true, knownHelpersOnly: true } as const;

/** A Handlebars environment with every partial in `<dir>/partials` registered under its file name. */
export function templateEnvironment(dir: string = POLICY_TEMPLATE_DIR): typeof Handlebars {
  const hb = Handlebars.create();
  const partialDir = join(dir, "partials");
  for (const file of readdirSync(partialDir).filter((f) => f.endsWith(".hbs")).sort()) {
    hb.registerPartial(basename(file, ".hbs"), readFileSync(join(partialDir, file), "utf8"));
  }
  return hb;
}

/** Render one template of `dir` (file `<name>.hbs`) with the given context. */
export function renderTemplate(name: string, context: PolicyContext, dir: string = POLICY_TEMPLATE_DIR): string {
  const hb = templateEnvironment(dir);
  const template = hb.compile(readFileSync(join(dir, `${name}.hbs`), "utf8"), COMPILE_OPTIONS);
  return template(context);
}

/** Every policy document the stack attaches, one per scope. */
export function renderPolicies(topology: Topology): RenderedPolicy[] {
  const context = createPolicyContext(topology);
  return [
    {
      scope: "api",
      id: API_ID,
      fileName: `api-${API_ID}.xml`,
      xml: renderTemplate("api", context),
    },
  ];
}
