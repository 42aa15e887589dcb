/**
 * Reading quota, models and this stack's deployments from Azure Resource Manager (issue #19), for
 * `aoai-gateway quota`, `capacity` and `catalog refresh`. The only module of the CLI that talks to Azure:
 * it signs in with @azure/identity's DefaultAzureCredential (`az login` on a laptop, OIDC in a pipeline;
 * AZURE_TOKEN_CREDENTIALS picks one credential) and calls ARM through @azure/arm-cognitiveservices, then
 * hands plain data to infra/model/quota.ts.
 *
 * Errors become one line that says what to do (ArmError), never a stack trace.
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { CognitiveServicesManagementClient } from "@azure/arm-cognitiveservices";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { Cloud } from "../config/schema";
import type { CapacityOffer, ExistingDeployment, QuotaUsage, RegionModel } from "../model/quota";

/** ARM endpoint and token audience per cloud (Azure CLI `az cloud show`: resourceManager, activeDirectoryResourceId). */
export const CLOUD_ENDPOINTS: Record<
  Cloud,
  { readonly arm: string; readonly scope: string; readonly authority: string }
> = {
  AzureCloud: {
    arm: "https://management.azure.com",
    scope: "https://management.azure.com/.default",
    authority: "https://login.microsoftonline.com",
  },
  AzureChinaCloud: {
    arm: "https://management.chinacloudapi.cn",
    scope: "https://management.chinacloudapi.cn/.default",
    authority: "https://login.chinacloudapi.cn",
  },
  AzureUSGovernment: {
    arm: "https://management.usgovcloudapi.net",
    scope: "https://management.usgovcloudapi.net/.default",
    authority: "https://login.microsoftonline.us",
  },
};

/** Retries of a throttled (429) or unavailable (503) call, each waiting the response's Retry-After. */
export const MAX_RETRIES = 3;
/** Longest single wait for a Retry-After, seconds: ARM can ask for minutes; a CLI run should not hang. */
export const MAX_RETRY_AFTER_SECONDS = 30;

/** A failure the user can act on, already phrased as one line. */
export class ArmError extends Error {
  constructor(
    message: string,
    /** no-credential: nothing else can be read either, so the command stops at once. */
    readonly kind: "no-credential" | "forbidden" | "not-found" | "throttled" | "other",
  ) {
    super(message);
    this.name = "ArmError";
  }
}

export interface ArmOptions {
  readonly cloud: Cloud;
  /** Overrides the cloud's ARM endpoint (`--arm-endpoint`). */
  readonly endpoint?: string;
  readonly credential?: TokenCredential;
}

export interface ArmReader {
  usages(subscriptionId: string, location: string): Promise<QuotaUsage[]>;
  models(subscriptionId: string, location: string): Promise<RegionModel[]>;
  /** The deployments of one account, or [] when the account (or its resource group) does not exist yet. */
  deployments(subscriptionId: string, resourceGroup: string, account: string): Promise<ExistingDeployment[]>;
  modelCapacities(
    subscriptionId: string,
    model: string,
    version: string,
  ): Promise<Omit<CapacityOffer, "subscription" | "subscriptionId">[]>;
}

/**
 * Cap every Retry-After at MAX_RETRY_AFTER_SECONDS before the SDK's retry policy reads it, so the
 * bounded number of retries is also a bounded time.
 */
const capRetryAfter: PipelinePolicy = {
  name: "aoaiGatewayCapRetryAfter",
  async sendRequest(request, next) {
    const response = await next(request);
    const value = response.headers.get("retry-after");
    if ((response.status === 429 || response.status === 503) && value !== undefined) {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds > MAX_RETRY_AFTER_SECONDS) {
        response.headers.set("x-aoai-gateway-retry-after", value);
        response.headers.set("retry-after", String(MAX_RETRY_AFTER_SECONDS));
      }
    }
    return response;
  },
};

interface RestLike {
  statusCode?: number;
  code?: string;
  message: string;
  response?: { headers: { get(name: string): string | undefined } };
}

const isRestLike = (e: unknown): e is RestLike =>
  e instanceof Error && ("statusCode" in e || (e as { name?: string }).name === "RestError");

/** The error's one line, naming what to do. `what` says what was being read. */
export function explain(e: unknown, what: string, subscription: { alias: string; id: string }): ArmError {
  const sub = `subscription ${subscription.alias} (${subscription.id})`;
  const name = (e as { name?: string } | null)?.name ?? "";
  if (
    name === "CredentialUnavailableError" ||
    name === "AggregateAuthenticationError" ||
    name === "AuthenticationError"
  ) {
    // A chain's own message says only that the chain failed; its first credential's says why.
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    const why = firstLine(inner instanceof Error ? inner.message : (e as Error).message);
    return new ArmError(
      `no Azure credential: sign in with \`az login\` (laptop) or OIDC (azure/login in a pipeline); AZURE_TOKEN_CREDENTIALS can pick one credential, e.g. AzureCliCredential (${why})`,
      "no-credential",
    );
  }
  if (isRestLike(e)) {
    const code = e.code ?? "";
    if (e.statusCode === 403) {
      return new ArmError(
        `${sub}: 403 ${code || "Forbidden"} reading ${what}: give the identity the roles "Cognitive Services Usages Reader" (quota) and "Reader" (models, deployments) at subscription scope: az role assignment create --assignee <principal> --role "Cognitive Services Usages Reader" --scope /subscriptions/${subscription.id}`,
        "forbidden",
      );
    }
    if (e.statusCode === 404 && /subscription/i.test(code)) {
      return new ArmError(
        `${sub}: not found (${code}): check aoai-gateway:subscriptions[].id and that the signed-in identity can see the subscription (az account list)`,
        "not-found",
      );
    }
    if (e.statusCode === 401) {
      return new ArmError(
        `${sub}: 401 ${code || "Unauthorized"} reading ${what}: the token was refused; sign in again (az login) or check the identity's tenant`,
        "no-credential",
      );
    }
    if (e.statusCode === 429) {
      const after = e.response?.headers.get("x-aoai-gateway-retry-after") ?? e.response?.headers.get("retry-after");
      return new ArmError(
        `${sub}: throttled by Azure Resource Manager (429) reading ${what}, still after ${MAX_RETRIES} retries${after ? ` (Retry-After ${after} s)` : ""}: wait and run again`,
        "throttled",
      );
    }
    return new ArmError(
      `${sub}: ${e.statusCode ?? ""} ${code} reading ${what}: ${firstLine(e.message)}`.replace(/\s+/g, " "),
      "other",
    );
  }
  return new ArmError(
    `${sub}: reading ${what} failed: ${firstLine(e instanceof Error ? e.message : String(e))}`,
    "other",
  );
}

const firstLine = (text: string) => text.split("\n")[0].trim();

async function all<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

/** The credential the CLI uses: DefaultAzureCredential on the cloud's authority (AZURE_TOKEN_CREDENTIALS honoured). */
export function defaultCredential(cloud: Cloud): TokenCredential {
  return new DefaultAzureCredential({ authorityHost: CLOUD_ENDPOINTS[cloud].authority });
}

/** An ArmReader over @azure/arm-cognitiveservices; one client per subscription. */
export function createArmReader(options: ArmOptions): ArmReader {
  const cloud = CLOUD_ENDPOINTS[options.cloud];
  const endpoint = (options.endpoint ?? cloud.arm).replace(/\/+$/, "");
  const credential = options.credential ?? defaultCredential(options.cloud);
  const clients = new Map<string, CognitiveServicesManagementClient>();
  const client = (subscriptionId: string) => {
    let c = clients.get(subscriptionId);
    if (!c) {
      c = new CognitiveServicesManagementClient(credential, subscriptionId, {
        endpoint,
        credentialScopes: [cloud.scope],
        retryOptions: { maxRetries: MAX_RETRIES, maxRetryDelayInMs: MAX_RETRY_AFTER_SECONDS * 1000 },
        additionalPolicies: [{ policy: capRetryAfter, position: "perRetry" }],
        userAgentOptions: { userAgentPrefix: "aoai-gateway" },
      });
      clients.set(subscriptionId, c);
    }
    return c;
  };
  return {
    async usages(subscriptionId, location) {
      const list = await all(client(subscriptionId).usages.list(location));
      return list
        .filter((u) => u.name?.value !== undefined)
        .map((u) => ({ name: u.name?.value ?? "", current: u.currentValue ?? 0, limit: u.limit ?? 0 }));
    },
    async models(subscriptionId, location) {
      const list = await all(client(subscriptionId).models.list(location));
      return list.flatMap((m) =>
        m.model?.name && m.model.version
          ? [
              {
                format: m.model.format ?? "",
                name: m.model.name,
                version: m.model.version,
                ...(m.model.lifecycleStatus ? { lifecycleStatus: m.model.lifecycleStatus } : {}),
                skus: (m.model.skus ?? []).flatMap((s) =>
                  s.name
                    ? [
                        {
                          name: s.name,
                          ...(s.usageName ? { usageName: s.usageName } : {}),
                          ...(s.capacity
                            ? {
                                capacity: {
                                  ...(s.capacity.minimum !== undefined ? { minimum: s.capacity.minimum } : {}),
                                  ...(s.capacity.maximum !== undefined ? { maximum: s.capacity.maximum } : {}),
                                  ...(s.capacity.step !== undefined ? { step: s.capacity.step } : {}),
                                },
                              }
                            : {}),
                        },
                      ]
                    : [],
                ),
              },
            ]
          : [],
      );
    },
    async deployments(subscriptionId, resourceGroup, account) {
      try {
        const list = await all(client(subscriptionId).deployments.list(resourceGroup, account));
        return list.map((d) => ({
          account,
          name: d.name ?? "",
          model: d.properties?.model?.name ?? "",
          sku: d.sku?.name ?? "",
          capacity: d.sku?.capacity ?? 0,
        }));
      } catch (e) {
        // Not deployed yet: the group or the account does not exist, so nothing of this stack draws quota there.
        if (isRestLike(e) && e.statusCode === 404 && !/subscription/i.test(e.code ?? "")) return [];
        throw e;
      }
    },
    async modelCapacities(subscriptionId, model, version) {
      const list = await all(client(subscriptionId).modelCapacities.list("OpenAI", model, version));
      return list.flatMap((item) =>
        item.location && item.properties?.skuName
          ? [
              {
                location: item.location.toLowerCase().replace(/\s+/g, ""),
                sku: item.properties.skuName,
                model: item.properties.model?.name ?? model,
                version: item.properties.model?.version ?? version,
                availableCapacity: item.properties.availableCapacity ?? 0,
              },
            ]
          : [],
      );
    },
  };
}
