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

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 8);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).replace(/-+$/, "");
}

/**
 * Azure OpenAI account name, also its custom subdomain (<name>.openai.azure.com).
 * 2-64 chars, lowercase letters, digits and hyphens.
 */
export function accountName(gatewayName: string, accountKey: string, subscriptionId: string): string {
  return `${clip(`${gatewayName}-${accountKey}`, 55)}-${hash(subscriptionId, gatewayName, accountKey)}`;
}

/** The OpenAI endpoint of an account with a custom subdomain. */
export function accountEndpoint(name: string): string {
  return `https://${name}.openai.azure.com/`;
}

/** API Management service name, also its host (<name>.azure-api.net). 1-50 chars, starts with a letter. */
export function apimServiceName(gatewayName: string, subscriptionId: string): string {
  return `${clip(gatewayName, 41)}-${hash(subscriptionId, gatewayName, "apim")}`;
}

export function gatewayUrl(serviceName: string): string {
  return `https://${serviceName}.azure-api.net`;
}

/** APIM backend id of one Azure OpenAI account (a pool member). */
export function backendId(accountKey: string): string {
  return `aoai-${accountKey}`;
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
