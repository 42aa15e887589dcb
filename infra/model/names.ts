/**
 * Azure and APIM names, derived from the topology only. Pure and
 * deterministic: the same stack config gives the same names on every run and
 * on every machine, so `render` can write the exact policy text the program
 * attaches, and a second `pulumi up` renames nothing.
 *
 * Globally unique names (Azure OpenAI custom subdomains, APIM host names) get
 * a short hash of the subscription id and the logical key: two organisations
 * using the same gateway name never collide, and one stack always gets the
 * same name back. A deleted account or APIM service is soft-deleted and keeps
 * its name for 48 hours: purge it before re-creating (README, teardown).
 */
import { createHash } from "node:crypto";
import { v5 as uuidv5 } from "uuid";

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 8);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).replace(/-+$/, "");
}

/**
 * Azure OpenAI account name, also its custom subdomain (<name>.openai.azure.com).
 * 2-64 chars, lowercase letters, digits and hyphens. The resource group is in
 * the hash: moving an account to another group then creates a new account
 * beside the old one instead of re-using a name Azure still holds for the
 * soft-deleted original (FlagMustBeSetForRestore / CustomDomainInUse).
 */
export function accountName(
  gatewayName: string,
  accountKey: string,
  subscriptionId: string,
  resourceGroup: string,
): string {
  return `${clip(`${gatewayName}-${accountKey}`, 55)}-${hash(subscriptionId, gatewayName, accountKey, resourceGroup)}`;
}

/** The OpenAI endpoint of an account with a custom subdomain. */
export function accountEndpoint(name: string): string {
  return `https://${name}.openai.azure.com/`;
}

/**
 * API Management service name, also its host (<name>.azure-api.net). 1-50
 * chars, starts with a letter.
 *
 * Premium v2 is a different Pulumi resource type (a generic ARM resource,
 * components/api-gateway.ts), so switching to or from it creates the new
 * service before the old one is deleted. Under the same name that create
 * fails ("already exists"), and deleting first does not help: a deleted
 * service is soft-deleted and holds its name for 48 hours
 * (ServiceAlreadyExistsInSoftDeletedState: hashicorp/terraform-provider-azurerm#12839,
 * #15865). So Premium v2 gets a name of its
 * own (issue #11); every other tier keeps the name it always had.
 */
export function apimServiceName(gatewayName: string, subscriptionId: string, sku?: string): string {
  const family = sku === "PremiumV2" ? ["apim", "premiumv2"] : ["apim"];
  return `${clip(gatewayName, 41)}-${hash(subscriptionId, gatewayName, ...family)}`;
}

export function gatewayUrl(serviceName: string): string {
  return `https://${serviceName}.azure-api.net`;
}

/** A route's endpoint: what the Azure client (`AzureOpenAI`) calls for deployment `route`. */
export function routeEndpoint(url: string, route: string): string {
  return `${url}/${API_PATH}/deployments/${route}`;
}

/** The base URL of the v1 API (plain `OpenAI` client, deployment name in `model`). */
export function v1BaseUrl(url: string): string {
  return `${url}/${API_PATH}/v1/`;
}

/** The Azure OpenAI data-plane API version the client snippets (plan, README) send. */
export const CLIENT_API_VERSION = "2024-10-21";

/** Longest APIM backend id (Microsoft.ApiManagement/service/backends name: 1-80 characters). */
export const MAX_BACKEND_ID = 80;

/**
 * APIM backend id of one pool member: one deployment on one Azure OpenAI
 * account (issue #9). Quota and 429s are per deployment, so each deployment
 * gets its own backend and circuit breaker; the URL is the account's.
 * Readable (`aoai-<account key>-<deployment>`); clipped with a hash of the
 * whole when it would pass APIM's 80-character limit, so ids stay unique.
 */
export function backendId(accountKey: string, deployment: string): string {
  const full = `aoai-${accountKey}-${deployment}`;
  return full.length <= MAX_BACKEND_ID ? full : `${clip(full, MAX_BACKEND_ID - 9)}-${hash(full)}`;
}

/** APIM backend id of a route's pool (deployment names only use characters APIM ids accept). */
export function poolId(routeName: string): string {
  return `pool-${routeName}`;
}

/** The API every client calls; its path makes the gateway URL an Azure OpenAI endpoint. */
export const API_ID = "azure-openai";
export const API_PATH = "openai";
/** The product consumer subscriptions are scoped to. */
export const PRODUCT_ID = "aoai-gateway";
/** Display name of the operator subscription (issue #21, lead's decision 2). */
export const OPERATOR_DISPLAY_NAME = "aoai-gateway operator";
/**
 * Request header naming the member backend (APIM backend id) a call must go to (issue #21): honoured only for the
 * operator subscription (`aoai-gateway smoke` reaches every member with it), removed for every other caller.
 */
export const MEMBER_HEADER = "x-aoai-gateway-member";

/** The operator's APIM subscription (issue #21 creates it; #18 gives it, and only it, the topology headers). */
export const OPERATOR_SUBSCRIPTION_ID = "aoai-gateway-operator";

/**
 * The query parameter APIM reads a subscription key from. ARM requires a query name in
 * subscriptionKeyParameterNames, so the API keeps this one and the policy refuses any call that uses it
 * (issue #18: keys in URLs reach logs).
 */
export const SUBSCRIPTION_KEY_QUERY = "subscription-key";

/**
 * The secret named value holding the key that seals stored-response ids (issue #18). The policy template
 * spells it out (policies/partials/response-seal-mac.hbs); a test checks the two agree.
 */
export const RESPONSE_SEAL_KEY_NAMED_VALUE = "aoai-gateway-response-seal-key";

/** Operations whose body is multipart/form-data (the deployment-path ids; v1 ids add the `v1-` prefix). */
export const MULTIPART_OPERATIONS = ["audio-transcriptions", "audio-translations", "image-edits"] as const;

/** Operations that report no token usage: the unmetered-call rate limit applies to them (issue #18). */
export const UNMETERED_OPERATIONS = [
  "audio-transcriptions",
  "audio-translations",
  "audio-speech",
  "image-generations",
  "image-edits",
] as const;

/** Namespace for this project's name-based (v5) UUIDs. */
const UUID_NAMESPACE = "6f1d3a52-8c0b-4c7e-9a51-3b7f0d2e4a91";

/**
 * Role assignment names are GUIDs. A v5 UUID of the logical identity keeps the
 * name stable between runs (a random one would be re-created on every new
 * stack and trip RoleAssignmentExists when the same principal, role and scope
 * already hold an assignment under another name).
 */
export function roleAssignmentName(gatewayName: string, accountKey: string, subscriptionId: string): string {
  return uuidv5(`${subscriptionId}|${gatewayName}|${accountKey}|cognitive-services-openai-user`, UUID_NAMESPACE);
}

/** "Cognitive Services OpenAI User": call inference APIs, nothing else (no keys, no management). */
export const OPENAI_USER_ROLE_ID = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

/** The role definition's id in the subscription that holds the scope (ARM rewrites it there anyway). */
export function roleDefinitionId(subscriptionId: string, roleId: string = OPENAI_USER_ROLE_ID): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/** One operation of the client-facing API. Template parameters are the `{name}` segments of `urlTemplate`. */
export interface ApiOperationSpec {
  readonly id: string;
  readonly displayName: string;
  readonly method: "GET" | "POST" | "DELETE";
  readonly urlTemplate: string;
}

/**
 * How each family of calls names its deployment: in the path (`/deployments/{deployment-id}/...`, the Azure
 * clients' paths), or in the body's `model` (the v1 API and the Responses API). Issue #9.
 */
const DEPLOYMENT_PATH_CALLS = [
  ["chat-completions", "Chat completions", "chat/completions"],
  ["completions", "Completions", "completions"],
  ["embeddings", "Embeddings", "embeddings"],
  ["image-generations", "Image generations", "images/generations"],
  ["image-edits", "Image edits", "images/edits"],
  ["audio-transcriptions", "Audio transcriptions", "audio/transcriptions"],
  ["audio-translations", "Audio translations", "audio/translations"],
  ["audio-speech", "Speech", "audio/speech"],
] as const;

/** The Responses API's calls, under `/responses` (api-version) and `/v1/responses`: create by body model, the rest on a stored response. */
const RESPONSES_CALLS = [
  ["responses-create", "Create a response", "POST", "/responses"],
  ["responses-get", "Retrieve a stored response", "GET", "/responses/{response-id}"],
  ["responses-delete", "Delete a stored response", "DELETE", "/responses/{response-id}"],
  ["responses-input-items", "List a stored response's input items", "GET", "/responses/{response-id}/input_items"],
  ["responses-cancel", "Cancel a background response", "POST", "/responses/{response-id}/cancel"],
] as const;

/**
 * The operations of the client-facing API (issue #9): the Azure OpenAI data-plane paths current SDKs call.
 * `AzureOpenAI` clients call `/deployments/{deployment-id}/...?api-version=` and `/responses?api-version=`;
 * the plain `OpenAI` client with base URL `<gateway>/openai/v1/` calls `/v1/...` with the deployment as the
 * body's `model`. `GET /models` is answered by the gateway from its routes. Account-scoped APIs (files,
 * batches, ...) have no operation: the policy refuses them (policies/partials/unsupported.hbs).
 */
export const API_OPERATIONS: readonly ApiOperationSpec[] = [
  ...DEPLOYMENT_PATH_CALLS.map(([id, displayName, path]) => ({
    id,
    displayName,
    method: "POST" as const,
    urlTemplate: `/deployments/{deployment-id}/${path}`,
  })),
  ...RESPONSES_CALLS.map(([id, displayName, method, urlTemplate]) => ({ id, displayName, method, urlTemplate })),
  { id: "models-list", displayName: "List the gateway's models", method: "GET", urlTemplate: "/models" },
  ...DEPLOYMENT_PATH_CALLS.map(([id, displayName, path]) => ({
    id: `v1-${id}`,
    displayName: `${displayName} (v1)`,
    method: "POST" as const,
    urlTemplate: `/v1/${path}`,
  })),
  ...RESPONSES_CALLS.map(([id, displayName, method, urlTemplate]) => ({
    id: `v1-${id}`,
    displayName: `${displayName} (v1)`,
    method,
    urlTemplate: `/v1${urlTemplate}`,
  })),
  { id: "v1-models-list", displayName: "List the gateway's models (v1)", method: "GET", urlTemplate: "/v1/models" },
  { id: "v1-models-get", displayName: "Retrieve a model (v1)", method: "GET", urlTemplate: "/v1/models/{model-id}" },
];

/** The `{name}` template parameters of an operation's URL template, in order. */
export function templateParameters(urlTemplate: string): string[] {
  return [...urlTemplate.matchAll(/\{([a-z-]+)\}/g)].map((m) => m[1]);
}
