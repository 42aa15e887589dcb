/**
 * The configuration reference (docs/configuration.md), generated from the
 * config schema (issue #14): key paths, whether a key is required, defaults
 * and allowed values come from the zod schema in infra/config/schema.ts; the
 * meaning of each key comes from CONFIG_KEY_DOCS below, keyed by path, so the
 * schema file stays as it is. `npm run docs:config` rewrites the table;
 * test/docs-config.test.ts fails when the file is out of date or a schema key
 * has no entry here.
 *
 * Adding a config key: add it to the schema, add its entry below, run
 * `npm run docs:config`.
 */
import { z } from "zod";
import { RootSchema } from "../config/schema";

export interface KeyDoc {
  /** What the key does, for a user (Markdown). */
  readonly meaning: string;
  /** Type name when the schema's own is too vague: alias, region, duration. */
  readonly type?: string;
  /** "yes"/"no" is derived; set this when the rule is conditional. */
  readonly required?: string;
  /** Markdown for the default when it is not one value (depends on another key, computed). */
  readonly default?: string;
}

export const CONFIG_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  "gateway.name": {
    meaning: "name prefix for every resource: 3-20 chars, lowercase letters, digits, hyphens, starting with a letter",
  },
  "gateway.subscription": { type: "alias", meaning: "subscription (from `subscriptions`) that holds APIM" },
  "gateway.location": { type: "region", meaning: "APIM region, e.g. `swedencentral`" },
  "gateway.sku": { meaning: "API Management tier" },
  "gateway.capacity": {
    default: "1 (0 for Consumption)",
    meaning:
      "scale units; Developer 1, Basic 1-2, Standard 1-4, Premium 1-12, Basic v2 and Standard v2 1-10, Premium v2 1-30, Consumption 0",
  },
  "gateway.publisherEmail": { type: "email", meaning: "APIM publisher email" },
  "gateway.publisherName": { meaning: "APIM publisher name" },
  "gateway.resourceGroup": { default: "created", meaning: "existing resource group for APIM" },
  "gateway.zones": {
    default: "none",
    meaning:
      'availability zones of the primary region (`["1","2","3"]`): Premium per location, units a multiple of the zones; Standard v2 and Premium v2 only when the service is created ([multi-region](multi-region.md))',
  },
  "gateway.additionalLocations[].location": {
    type: "region",
    meaning:
      "a further gateway region: Premium adds a location to the one service, Basic/Standard/Premium v2 get one more gateway behind Azure Front Door ([multi-region](multi-region.md))",
  },
  "gateway.additionalLocations[].capacity": { default: "the tier's minimum", meaning: "scale units in that region" },
  "gateway.additionalLocations[].zones": {
    default: "none",
    meaning: "availability zones in that region (see `zones`)",
  },
  "subscriptions[].alias": {
    type: "alias",
    meaning: "short name used everywhere else; 1-24 lowercase letters, digits, hyphens; unique",
  },
  "subscriptions[].id": { type: "GUID", meaning: "subscription ID; unique" },
  "subscriptions[].offer": {
    meaning:
      "which default quota table applies (`infra/data/quota-defaults.json`): an offer type, or the subscription's quota tier (`Free`, `Tier1`-`Tier6`, shown in the Foundry portal); `aoai-gateway quota` reads the real figure ([quota](quota.md))",
  },
  "subscriptions[].quotas[].model": {
    required: "for Standard types",
    meaning: "model name of a quota override; ignored for provisioned types (PTU quota is shared by every model)",
  },
  "subscriptions[].quotas[].sku": { meaning: "deployment type of the override" },
  "subscriptions[].quotas[].location": { type: "region", meaning: "region of the override" },
  "subscriptions[].quotas[].tpm": { required: "for Standard types", meaning: "quota in tokens per minute" },
  "subscriptions[].quotas[].ptu": { required: "for provisioned types", meaning: "quota in PTUs" },
  "subscriptions[].quotas[].rpm": {
    required: "instead of `tpm` for request-metered models",
    meaning: "quota in requests per minute of an image, whisper or tts model ([quota](quota.md))",
  },
  "backends[].key": {
    required: "with another entry in the same subscription and region",
    default: "none",
    meaning:
      'stable key of the account: its name is `<gateway>-<alias>-<region>` without one, `<gateway>-<alias>-<region>-<key>` with one, so reordering entries renames nothing; all but one entry of a subscription and region need one (`"2"` keeps the name a second entry had before keys existed)',
  },
  "backends[].subscription": { type: "alias", meaning: "subscription of this Azure OpenAI account" },
  "backends[].location": { type: "region", meaning: "region of the account" },
  "backends[].resourceGroup": { default: "created", meaning: "existing resource group for the account" },
  "backends[].publicNetworkAccess": {
    default: "`Disabled` with `network`, else `Enabled`",
    meaning:
      "whether the account answers from the internet; `Disabled` needs `aoai-gateway:network` (the gateway reaches the account through its private endpoint; without one every call is a 403). `Enabled` with a network keeps the account public, e.g. for the first `up` of a move to private ([networking.md](networking.md))",
  },
  "backends[].tags": { meaning: "tags on the account and its resource group, over `aoai-gateway:tags`" },
  "backends[].deployments[].name": {
    meaning: "the deployment name clients call; one route (pool) per name; unique per account",
  },
  "backends[].deployments[].model": { meaning: "model name; one deployment name maps to one model" },
  "backends[].deployments[].version": { meaning: "model version" },
  "backends[].deployments[].sku": { meaning: "deployment type" },
  "backends[].deployments[].capacity": {
    meaning:
      "thousands of TPM (Standard types) or PTUs (provisioned types); above the largest published quota of the model (or 10,000 PTU) is refused unless a quota override covers it ([plausibility](#plausibility-checks))",
  },
  "backends[].deployments[].priority": { meaning: "lower is used first; higher numbers are spillover groups" },
  "backends[].deployments[].weight": {
    default: "share of the group's TPM",
    meaning: "share of traffic inside its priority group; set on every member of a group or on none",
  },
  "backends[].deployments[].tpmPerPtu": {
    meaning: "provisioned only: estimated TPM per PTU, to count PTU deployments in TPM totals",
  },
  "backends[].deployments[].versionUpgradeOption": { meaning: "when Azure moves the deployment to a new version" },
  "backends[].deployments[].raiPolicyName": {
    default: "Azure's default",
    meaning: "content filter policy",
  },
  "backends[].deployments[].spilloverDeployment": {
    meaning:
      "Global or Data Zone provisioned only: a standard deployment of the same entry, scope, model and version that serves the traffic above the PTUs (native spillover, [routing](routing.md#native-ptu-spillover))",
  },
  "routing.mode": {
    default: "`pool`",
    meaning: "`pool`: APIM backend pools with circuit breakers; `policy`: selection in the policy",
  },
  "routing.maxWaitSeconds": {
    default: "`10`",
    meaning:
      "bounded wait: when every member of a route is throttled and the soonest is back within this many seconds of the request's arrival, the gateway holds the request and retries then instead of answering 429; `0` turns it off; at most 30 ([simulate](simulate.md#bounded-wait))",
  },
  "routing.locality": {
    default: "`geography` with several gateway regions, else `off`",
    meaning:
      "inside each priority group, members in the serving gateway's region first (`region`), then its geography (`geography`); `off`: the stack's order only ([multi-region](multi-region.md#locality-aware-routing))",
  },
  "routing.routeLocality": {
    type: "map",
    default: "none",
    meaning: "per route (deployment name): `off`, `region` or `geography`, overriding `routing.locality`",
  },
  "circuitBreaker.failureCount": { meaning: "failures within `interval` that trip a member" },
  "circuitBreaker.interval": { type: "duration", meaning: "window the failures are counted in (ISO 8601)" },
  "circuitBreaker.tripDuration": {
    type: "duration",
    meaning: "how long a member stays out when its response has no `Retry-After` (ISO 8601)",
  },
  "circuitBreaker.acceptRetryAfter": { meaning: "trip for the backend's own `Retry-After`" },
  "circuitBreaker.tripOnServerErrors": { meaning: "count 500-599, connection failures and timeouts as failures" },
  "consumers[].name": { meaning: "consumer team; one APIM subscription (key) each; unique" },
  "consumers[].displayName": { default: "the name", meaning: "shown in APIM" },
  "policies.tokenLimit.enabled": {
    meaning:
      "per-key TPM limit (`azure-openai-token-limit`); not on Consumption; `security.limitEveryCaller` (default on) applies it too",
  },
  "policies.tokenLimit.tokensPerMinute": { meaning: "the limit per subscription key" },
  "policies.tokenMetrics.enabled": {
    meaning:
      "emit token metrics (`azure-openai-emit-token-metric`); needs `monitoring.enabled` ([operations](operations.md))",
  },
  "policies.tokenMetrics.namespace": { meaning: "Application Insights metric namespace" },
  tags: { meaning: "tags on every resource group, account and the APIM service" },
  "modelCatalog[].model": {
    meaning:
      "model the stack adds to the model catalog (`infra/data/model-catalog.json`), e.g. one newer than the file ([changing-a-stack](changing-a-stack.md))",
  },
  "modelCatalog[].versions": { meaning: "versions offered" },
  "modelCatalog[].skus": { meaning: "deployment types offered" },
  "modelCatalog[].regions": { default: "every region", meaning: "regions offering those types" },
  "modelCatalog[].ptuMinimum": {
    default: "the file's value, else 1",
    meaning: "provisioned types: smallest deployment in PTUs",
  },
  "modelCatalog[].ptuIncrement": {
    default: "the file's value, else 1",
    meaning: "provisioned types: step above the minimum in PTUs",
  },
  "modelCatalog[].unit": {
    default: "the file's value, else `tokens`",
    meaning:
      "how capacity is counted: `tokens` (1 = 1,000 TPM) or `requests` (1 = `rpmPerUnit` requests a minute: image, whisper and tts models)",
  },
  "modelCatalog[].rpmPer1000Tpm": {
    default: "the file's ratio (`infra/data/quota-defaults.json`)",
    meaning: "token-metered models: requests a minute per 1,000 TPM, so `plan` shows RPM instead of `?`",
  },
  "modelCatalog[].rpmPerUnit": {
    default: "the file's value",
    meaning: "request-metered models: requests a minute per capacity unit",
  },
  "modelCatalog[].prices.input": {
    meaning: "USD per 1M input tokens for the entry's Standard-family types, so `plan` prices the model",
  },
  "modelCatalog[].prices.cachedInput": { default: "the input price", meaning: "USD per 1M cached input tokens" },
  "modelCatalog[].prices.output": { meaning: "USD per 1M output tokens" },
  "modelCatalog[].usdPerRequest": { meaning: "request-metered models: USD per request, so `plan` prices the model" },
  cloud: {
    meaning:
      "the Azure cloud of the stack's subscriptions (`AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`): the ARM endpoint and token scope `aoai-gateway quota`, `capacity` and `catalog refresh` use ([quota](quota.md))",
  },
  "network.virtualNetwork.addressSpace": {
    type: "CIDR",
    required: "with `virtualNetwork`",
    meaning:
      "address space of the virtual network the stack creates in the gateway's subscription and region, /26 or larger ([networking.md](networking.md))",
  },
  "network.virtualNetwork.gatewaySubnet": {
    type: "CIDR",
    default: "first /27 of `addressSpace`",
    meaning: "API Management's subnet (delegated and with an NSG as its tier and mode need)",
  },
  "network.virtualNetwork.privateEndpointSubnet": {
    type: "CIDR",
    default: "second /27 of `addressSpace`",
    meaning: "the private endpoints' subnet, /28 or larger, one address per endpoint",
  },
  "network.subnets.gateway": {
    type: "ARM id",
    required: "with `subnets`",
    meaning:
      "existing subnet for API Management, in the gateway's subscription and region, prepared as [networking.md](networking.md) says (delegation, NSG)",
  },
  "network.subnets.privateEndpoints": {
    type: "ARM id",
    required: "with `subnets`",
    meaning:
      "existing subnet for the private endpoints, in a subscription listed in `subscriptions` (the endpoints are created there)",
  },
  "network.subnets.privateEndpointLocation": {
    type: "region",
    default: "`gateway.location`",
    meaning: "region of the private endpoints' virtual network",
  },
  "network.subnets.privateEndpointResourceGroup": {
    required: "when the endpoints' subnet is in another subscription than the gateway",
    default: "the gateway's resource group",
    meaning: "existing resource group for the private endpoints",
  },
  "network.gatewayMode": {
    default: "`Integration` on Standard v2 and Premium v2, `External` on Developer and Premium",
    meaning:
      "how API Management joins the network: `Integration` (outbound only, v2 tiers), `External` or `Internal` injection (classic Developer and Premium; `Internal` also Premium v2); other tiers are refused",
  },
  "network.gatewayPrivateEndpoint": {
    meaning:
      "an inbound private endpoint (group `Gateway`, zone `privatelink.azure-api.net`) so clients in the network reach the gateway privately; not with injection",
  },
  "network.gatewayPublicNetworkAccess": {
    meaning:
      "the gateway's public network access; `Disabled` needs `gatewayPrivateEndpoint` and a second `up` (Azure refuses it at creation and before the endpoint is approved: [networking.md](networking.md#turning-the-gateways-public-access-off))",
  },
  "network.privateEndpointApproval": {
    meaning:
      "`Automatic`: the deploying identity approves the accounts' endpoint connections; `Manual`: each account's owner approves them ([networking.md](networking.md#approving-endpoints-by-hand))",
  },
  "network.dnsZones.openai": {
    type: "ARM id",
    default: "created",
    meaning: "existing `privatelink.openai.azure.com` zone (e.g. a hub's) to register the endpoints in",
  },
  "network.dnsZones.apim": {
    type: "ARM id",
    default: "created",
    meaning: "existing `privatelink.azure-api.net` zone for the gateway's endpoint (with `gatewayPrivateEndpoint`)",
  },
  "network.linkDnsZones": {
    meaning:
      "link the zones to the gateway's virtual network; `false` only for existing zones already linked (or served by the hub's resolver)",
  },
  "network.gatewayPublicIpId": {
    type: "ARM id",
    default: "created",
    meaning:
      "classic injection only: an existing Standard static public IPv4 for the service, same subscription and region",
  },
  "consumers[].tokensPerMinute": {
    meaning:
      "this team's tokens per minute (429 over it); not on Consumption ([operations](operations.md#per-team-token-limits))",
  },
  "consumers[].tokenQuota": { meaning: "this team's tokens per `tokenQuotaPeriod` (403 over it); not on Consumption" },
  "consumers[].tokenQuotaPeriod": {
    meaning: "`Hourly`, `Daily`, `Weekly`, `Monthly`, `Yearly`",
    required: "with `tokenQuota`",
  },
  "monitoring.enabled": {
    meaning:
      "deploy Log Analytics, Application Insights, APIM logger and diagnostics, alerts and the workbook ([operations](operations.md))",
  },
  "monitoring.workspaceId": { meaning: "existing Log Analytics workspace", type: "ARM id", default: "created" },
  "monitoring.appInsightsId": {
    meaning: "existing workspace-based Application Insights (needs `workspaceId`)",
    type: "ARM id",
    default: "created",
  },
  "monitoring.retentionDays": { meaning: "retention of a created workspace, 30-730 days" },
  "monitoring.samplingPercentage": { meaning: "share of requests the Application Insights diagnostic samples" },
  "monitoring.llmLogs.enabled": {
    meaning: "token usage per request to `ApiManagementGatewayLlmLog` (not on Consumption)",
  },
  "monitoring.llmLogs.logPrompts": { meaning: "also log prompts" },
  "monitoring.llmLogs.logCompletions": { meaning: "also log completions" },
  "monitoring.llmLogs.maxMessageBytes": { meaning: "largest message logged in one entry, 1-262144" },
  "monitoring.alerts.enabled": { meaning: "deploy the alert rules and the action group" },
  "monitoring.alerts.emails": { meaning: "email addresses the action group notifies" },
  "monitoring.alerts.webhooks": {
    meaning:
      "https URLs the action group posts to (common alert schema); each may be a Pulumi secret, `secure: v1:...` from `pulumi config set --path --secret` ([secrets](#secrets-in-stack-config)); always kept secret in the deployment",
  },
  "monitoring.alerts.windowMinutes": { meaning: "window and frequency of every alert: 5, 15, 30 or 60" },
  "monitoring.alerts.client429Percent": { meaning: "alert when more than this % of client requests get 429" },
  "monitoring.alerts.member429Count": {
    meaning: "alert when one deployment answers more 429s than this in the window",
  },
  "monitoring.alerts.serverErrorPercent": { meaning: "alert when more than this % of client requests get 5xx" },
  "monitoring.alerts.quotaUtilisationPercent": {
    meaning: "alert when a quota pool's peak tokens per minute pass this % of its quota",
  },
  "clientAuth.mode": {
    meaning: "`key`, `key-and-entra`, `entra-only` ([operations](operations.md#entra-id-for-clients))",
  },
  "clientAuth.tenantId": { meaning: "Entra ID tenant of client tokens", required: "unless `key`", type: "GUID" },
  "clientAuth.audiences": { meaning: "accepted audiences, e.g. `api://contoso-ai-gateway`", required: "unless `key`" },
  "clientAuth.clientAppIds": { meaning: "client app ids allowed to call (this and/or `roles`)" },
  "clientAuth.roles": { meaning: "app roles of which a token must carry one" },
  "security.limitEveryCaller": {
    meaning:
      "every caller without its own limit (teams without `tokensPerMinute`/`tokenQuota`, Entra ID apps) gets `policies.tokenLimit.tokensPerMinute`; `false`: no limit for them ([security](security.md))",
  },
  "security.unmeteredCallsPerMinute": {
    meaning: "audio and image calls (no token usage) per caller per minute; `0`: unlimited ([security](security.md))",
  },
};

/** One leaf key of the schema, with what the schema says about it. */
export interface SchemaKey {
  /** `a.b[].c` style, without the `aoai-gateway:` namespace. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  /** The schema's default, or undefined. */
  readonly defaultValue: unknown;
  /** Allowed values of an enum, or undefined. */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

function baseType(s: z.ZodType): Pick<SchemaKey, "type" | "values" | "min" | "max"> {
  if (s instanceof z.ZodEnum) return { type: "enum", values: s.options.map(String) };
  if (s instanceof z.ZodNumber) {
    const range = {
      min: Number.isFinite(s.minValue) ? (s.minValue ?? undefined) : undefined,
      max:
        Number.isFinite(s.maxValue) && s.maxValue !== Number.MAX_SAFE_INTEGER ? (s.maxValue ?? undefined) : undefined,
    };
    return { type: s.isInt ? "integer" : "number", ...range };
  }
  if (s instanceof z.ZodBoolean) return { type: "boolean" };
  if (s instanceof z.ZodRecord) return { type: "map" };
  if (s instanceof z.ZodArray) return { type: "list" };
  return { type: "string" };
}

/** Every leaf key of the config schema, in schema order. */
export function schemaKeys(
  schema: z.ZodType = RootSchema,
  prefix = "",
  required = true,
  defaultValue?: unknown,
): SchemaKey[] {
  if (schema instanceof z.ZodDefault) {
    return schemaKeys(schema.unwrap() as z.ZodType, prefix, false, schema._zod.def.defaultValue);
  }
  if (schema instanceof z.ZodOptional) return schemaKeys(schema.unwrap() as z.ZodType, prefix, false, defaultValue);
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      schemaKeys(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodObject) {
    return schemaKeys(schema.element, `${prefix}[]`);
  }
  return [{ path: prefix, required, defaultValue, ...baseType(schema) }];
}

function showDefault(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;
}

/** Table cells never hold a raw `|`. */
const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The reference table (Markdown), one row per schema key. Throws when a key has no entry in CONFIG_KEY_DOCS. */
export function configReferenceTable(keys: readonly SchemaKey[] = schemaKeys()): string {
  const missing = keys.filter((k) => !(k.path in CONFIG_KEY_DOCS)).map((k) => k.path);
  if (missing.length > 0) throw new Error(`no entry in CONFIG_KEY_DOCS for: ${missing.join(", ")}`);
  const rows = keys.map((k) => {
    const doc = CONFIG_KEY_DOCS[k.path];
    const allowed = k.values
      ? ` Allowed: ${k.values.map((v) => `\`${v}\``).join(", ")}.`
      : k.min !== undefined && k.max !== undefined
        ? ` Allowed: ${k.min}-${k.max}.`
        : "";
    return [
      `\`${k.path}\``,
      doc.type ?? k.type,
      doc.required ?? (k.required ? "yes" : "no"),
      doc.default ?? showDefault(k.defaultValue),
      `${doc.meaning}.${allowed}`,
    ].map(cell);
  });
  const header = ["key", "type", "required", "default", "meaning"];
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n") + "\n";
}

/** The markers around a generated block in a Markdown file. */
export function markers(name: string): { begin: string; end: string } {
  return {
    begin: `<!-- BEGIN GENERATED ${name}: do not edit; run npm run docs:config -->`,
    end: `<!-- END GENERATED ${name} -->`,
  };
}

/** `text` with the block between `name`'s markers replaced by `content`. Throws when the markers are missing. */
export function replaceGenerated(text: string, name: string, content: string): string {
  const { begin, end } = markers(name);
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`markers for ${name} not found: ${begin} ... ${end}`);
  return `${text.slice(0, from + begin.length)}\n\n${content}\n${text.slice(to)}`;
}
