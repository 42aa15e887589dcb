/**
 * Stack config validation: structure (zod) and the cross-field rules that
 * depend on Azure and APIM limits. Pure: no Pulumi, no Azure.
 *
 * Every message names the key path as a user writes it in a stack file
 * (`aoai-gateway:backends[2].deployments[0].priority`), the bad value and what
 * is allowed; all problems are reported at once (issue #2).
 */
import type { z } from "zod";
import {
  BackendSchema,
  CONFIG_NAMESPACE,
  DeploymentSchema,
  LIMITS,
  type ParsedConfig,
  type RoutingMode,
  RootSchema,
  SubscriptionSchema,
  TIERS,
  isProvisioned,
} from "./schema";

/** A validated config with every default resolved. */
export interface ValidConfig extends ParsedConfig {
  readonly gateway: ParsedConfig["gateway"] & { readonly capacity: number };
  readonly routing: { readonly mode: RoutingMode };
}

export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(
      `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

type PathPart = string | number;

/** `["backends", 2, "deployments", 0, "priority"]` -> `aoai-gateway:backends[2].deployments[0].priority` */
export function keyPath(path: readonly PathPart[]): string {
  let out = CONFIG_NAMESPACE;
  path.forEach((part, i) => {
    if (typeof part === "number") out += `[${part}]`;
    else out += i === 0 ? `:${part}` : `.${part}`;
  });
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  if (value !== null && typeof value === "object") return "a map";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const EXPECTED: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  array: "a list",
  object: "a map",
  record: "a map",
  boolean: "true or false",
};

/** The schema at a config path (optional and default wrappers removed), or undefined. */
function schemaAt(path: readonly PathPart[]): z.core.$ZodType | undefined {
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
    let cur = s;
    while ("innerType" in cur._zod.def) cur = (cur._zod.def as { innerType: z.core.$ZodType }).innerType;
    return cur;
  };
  let schema: z.core.$ZodType | undefined = RootSchema;
  for (const part of path) {
    const def = unwrap(schema)._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
      valueType?: z.core.$ZodType;
    };
    if (def.type === "object" && typeof part === "string") schema = def.shape?.[part];
    else if (def.type === "array" && typeof part === "number") schema = def.element;
    else if (def.type === "record" && typeof part === "string") schema = def.valueType;
    else schema = undefined;
    if (!schema) return undefined;
  }
  return unwrap(schema);
}

/**
 * The whole rule of a number field ("an integer from 0 to 100", "a positive
 * integer"), so a message for 1.5 or 101 says everything that is allowed.
 */
function numberRule(path: readonly PathPart[]): string | undefined {
  const schema = schemaAt(path);
  if (!schema || schema._zod.def.type !== "number") return undefined;
  let int = false;
  let min: number | undefined;
  let max: number | undefined;
  for (const check of schema._zod.def.checks ?? []) {
    const c = check._zod.def as { check: string; format?: string; value?: number; inclusive?: boolean };
    if (c.check === "number_format" && (c.format === "safeint" || c.format === "int32" || c.format === "uint32"))
      int = true;
    else if (c.check === "greater_than" && typeof c.value === "number")
      min = c.inclusive ? c.value : c.value + (int ? 1 : 0);
    else if (c.check === "less_than" && typeof c.value === "number")
      max = c.inclusive ? c.value : c.value - (int ? 1 : 0);
  }
  const kind = int ? "an integer" : "a number";
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (int && min === 1) return "a positive integer";
  if (min !== undefined) return `${kind} of ${min} or more`;
  if (max !== undefined) return `${kind} of ${max} or less`;
  return kind;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const got = `got ${show(input)}`;
  const custom = issue.message.startsWith("allowed:") || issue.message.startsWith("unknown ");
  if (issue.code === "unrecognized_keys" && custom) return issue.message;
  if (input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    const required = issue.message.startsWith("allowed: ")
      ? issue.message.slice("allowed: ".length)
      : issue.code === "invalid_value"
        ? `one of ${issue.values.map((v) => String(v)).join(", ")}`
        : (numberRule(issue.path as PathPart[]) ?? EXPECTED[issue.expected] ?? issue.expected);
    return `missing; required: ${required}`;
  }
  if (custom) return `${got}; ${issue.message}`;
  const rule = numberRule(issue.path as PathPart[]);
  if (rule && (issue.code === "invalid_type" || issue.code === "too_small" || issue.code === "too_big")) {
    return `${got}; allowed: ${rule}`;
  }
  switch (issue.code) {
    case "invalid_type":
      return `${got}; allowed: ${EXPECTED[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `${got}; allowed: ${issue.values.map((v) => String(v)).join(", ")}`;
    case "too_small": {
      const n = Number(issue.minimum);
      if (issue.origin === "array") return `${got}; allowed: at least ${n} entr${n === 1 ? "y" : "ies"}`;
      if (issue.origin === "string") return `${got}; allowed: at least ${n} character${n === 1 ? "" : "s"}`;
      if (n === 0 && issue.inclusive === false) return `${got}; allowed: a positive integer`;
      return `${got}; allowed: ${issue.inclusive === false ? "greater than" : "at least"} ${n}`;
    }
    case "too_big": {
      const n = Number(issue.maximum);
      if (issue.origin === "array") return `${got}; allowed: at most ${n} entries`;
      if (issue.origin === "string") return `${got}; allowed: at most ${n} characters`;
      return `${got}; allowed: ${issue.inclusive === false ? "less than" : "at most"} ${n}`;
    }
    default:
      return `${got}; ${issue.message}`;
  }
}

/** The range an integer field accepts, for messages. */
function range(r: { min: number; max: number }): string {
  return r.min === r.max ? `exactly ${r.min}` : `an integer from ${r.min} to ${r.max}`;
}

interface Problem {
  path: readonly PathPart[];
  text: string;
}

/**
 * Validate the `aoai-gateway:` namespace of a stack config (keys without the
 * namespace prefix, values already parsed from YAML/JSON).
 * Throws ConfigError listing every problem; returns the config with defaults.
 */
export function validateConfig(raw: unknown): ValidConfig {
  const problems: Problem[] = [];
  const parsed = RootSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ path: issue.path as PathPart[], text: describeIssue(issue) });
    }
  }
  // Cross-field rules run on every entry that is valid on its own, so one typo
  // does not hide the rest of the report.
  problems.push(...crossFieldProblems(raw));
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(dedupe(problems).map((p) => `${keyPath(p.path)}: ${p.text}`));
  }
  const config = parsed.data;
  const tier = TIERS[config.gateway.sku];
  return {
    ...config,
    gateway: { ...config.gateway, capacity: config.gateway.capacity ?? tier.minUnits },
    routing: { mode: config.routing.mode ?? (tier.circuitBreaker ? "pool" : "policy") },
  };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${keyPath(p.path)}|${p.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where `key` was first seen, or undefined (and `index` is recorded as its first place). */
function seenAt<K>(seen: Map<K, number>, key: K, index: number): number | undefined {
  const first = seen.get(key);
  if (first === undefined) seen.set(key, index);
  return first;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function crossFieldProblems(raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const root = asRecord(raw);
  const gateway = asRecord(root.gateway);

  // Subscriptions: unique aliases and ids. Aliases are taken from every entry
  // that names one, even when another key of the entry is invalid (a bad
  // offer must not make every reference to that alias an error too).
  const rawSubscriptions = asArray(root.subscriptions);
  const aliasAt = new Map<string, number>();
  rawSubscriptions.forEach((raw, i) => {
    const alias = asRecord(raw).alias;
    if (typeof alias !== "string") return;
    const first = seenAt(aliasAt, alias, i);
    if (first !== undefined) {
      problems.push({
        path: ["subscriptions", i, "alias"],
        text: `got ${show(alias)}; allowed: an alias not used before (already used at ${keyPath(["subscriptions", first])})`,
      });
    }
  });
  const idAt = new Map<string, number>();
  rawSubscriptions
    .map((s) => SubscriptionSchema.safeParse(s))
    .forEach((s, i) => {
      if (!s.success) return;
      const id = s.data.id.toLowerCase();
      const firstId = seenAt(idAt, id, i);
      if (firstId !== undefined) {
        problems.push({
          path: ["subscriptions", i, "id"],
          text: `got ${show(s.data.id)}; allowed: a subscription not listed before (already listed at ${keyPath(["subscriptions", firstId])}; one alias per subscription, since one subscription is one set of quota pools)`,
        });
      }
      // One override per quota pool.
      const poolAt = new Map<string, number>();
      s.data.quotas.forEach((q, j) => {
        const key = `${q.model}|${q.sku}|${q.location}`;
        const prev = seenAt(poolAt, key, j);
        if (prev !== undefined) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: `got a second override for ${q.model} ${q.sku} in ${q.location}; allowed: one override per model, deployment type and region (first at ${keyPath(["subscriptions", i, "quotas", prev])})`,
          });
        }
        const provisioned = isProvisioned(q.sku);
        if (provisioned && (q.ptu === undefined || q.tpm !== undefined)) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: `got ${q.tpm !== undefined ? "tpm" : "neither tpm nor ptu"} for provisioned type ${q.sku}; allowed: ptu (provisioned quota is counted in PTUs)`,
          });
        }
        if (!provisioned && (q.tpm === undefined || q.ptu !== undefined)) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: `got ${q.ptu !== undefined ? "ptu" : "neither tpm nor ptu"} for ${q.sku}; allowed: tpm (Standard-family quota is counted in tokens per minute)`,
          });
        }
      });
    });
  const aliases = [...aliasAt.keys()];
  const knownAlias = (a: unknown, path: PathPart[]) => {
    if (typeof a !== "string" || aliases.length === 0 || aliasAt.has(a)) return;
    problems.push({
      path,
      text: `got ${show(a)}; allowed: an alias from aoai-gateway:subscriptions (${aliases.join(", ")})`,
    });
  };
  knownAlias(gateway.subscription, ["gateway", "subscription"]);

  // Gateway tier and capacity.
  const sku = gateway.sku as keyof typeof TIERS | undefined;
  const tier = typeof sku === "string" ? TIERS[sku] : undefined;
  if (tier && sku) {
    const cap = gateway.capacity;
    if (typeof cap === "number" && Number.isInteger(cap) && cap >= 0) {
      if (tier.maxUnits === 0 && cap !== 0) {
        problems.push({
          path: ["gateway", "capacity"],
          text: `got ${cap}; allowed: 0 or no capacity for sku ${sku} (it has no scale units)`,
        });
      } else if (tier.maxUnits > 0 && (cap < tier.minUnits || cap > tier.maxUnits)) {
        problems.push({
          path: ["gateway", "capacity"],
          text: `got ${cap}; allowed: ${range({ min: tier.minUnits, max: tier.maxUnits })} for sku ${sku}`,
        });
      }
    }
    const mode = asRecord(root.routing).mode;
    if (mode === "pool" && !tier.circuitBreaker) {
      problems.push({
        path: ["routing", "mode"],
        text: `got "pool"; allowed: policy for sku ${sku} (it has no backend circuit breakers, so pool members would not be taken out on 429)`,
      });
    }
    if (asRecord(asRecord(root.policies).tokenLimit).enabled === true && !tier.tokenLimitPolicy) {
      problems.push({
        path: ["policies", "tokenLimit", "enabled"],
        text: `got true; allowed: false for sku ${sku} (azure-openai-token-limit is not available in that tier)`,
      });
    }
  }

  // Backends: aliases, per-account and per-region limits, routes.
  const accountsPerRegion = new Map<string, number[]>();
  const routes = new Map<string, { model: string; at: PathPart[]; members: PathPart[][] }>();
  asArray(root.backends).forEach((rawBackend, i) => {
    const b = asRecord(rawBackend);
    knownAlias(b.subscription, ["backends", i, "subscription"]);
    if (typeof b.subscription === "string" && typeof b.location === "string") {
      const key = `${b.subscription}|${b.location}`;
      accountsPerRegion.set(key, [...(accountsPerRegion.get(key) ?? []), i]);
    }
    const deployments = asArray(b.deployments);
    const max = LIMITS.standardDeploymentsPerAccount;
    if (deployments.length > max) {
      problems.push({
        path: ["backends", i, "deployments"],
        text: `got ${deployments.length} deployments; allowed: at most ${max} per Azure OpenAI account`,
      });
    }
    const namesAt = new Map<string, number>();
    deployments.forEach((rawDeployment, j) => {
      const d = DeploymentSchema.safeParse(rawDeployment);
      if (!d.success) return;
      const path: PathPart[] = ["backends", i, "deployments", j];
      const prev = seenAt(namesAt, d.data.name, j);
      if (prev !== undefined) {
        problems.push({
          path: [...path, "name"],
          text: `got ${show(d.data.name)}; allowed: a name not used before in this account (already at ${keyPath(["backends", i, "deployments", prev])})`,
        });
      }
      if (d.data.tpmPerPtu !== undefined && !isProvisioned(d.data.sku)) {
        problems.push({
          path: [...path, "tpmPerPtu"],
          text: `got ${d.data.tpmPerPtu}; allowed: only on provisioned deployment types (${d.data.sku} capacity is already in thousands of TPM)`,
        });
      }
      const route = routes.get(d.data.name);
      if (!route) {
        routes.set(d.data.name, { model: d.data.model, at: path, members: [path] });
        return;
      }
      route.members.push(path);
      if (route.model !== d.data.model) {
        problems.push({
          path: [...path, "model"],
          text: `got ${show(d.data.model)}; allowed: ${show(route.model)}, the model deployment name ${show(d.data.name)} already has at ${keyPath(route.at)} (one deployment name is one route and serves one model)`,
        });
      }
    });
  });
  for (const [key, indices] of accountsPerRegion) {
    const max = LIMITS.openAiAccountsPerRegionPerSubscription;
    if (indices.length > max) {
      const [subscription, location] = key.split("|");
      problems.push({
        path: ["backends"],
        text: `got ${indices.length} accounts in subscription ${show(subscription)} region ${location}; allowed: at most ${max} Azure OpenAI accounts per region per subscription`,
      });
    }
  }
  for (const [name, route] of routes) {
    const max = LIMITS.backendPoolMaxMembers;
    if (route.members.length > max) {
      problems.push({
        path: ["backends"],
        text: `got ${route.members.length} members for route ${show(name)}; allowed: at most ${max} members in one APIM backend pool`,
      });
    }
  }
  problems.push(...weightProblems(root));
  // Consumers: one APIM subscription each, so names must be unique.
  const consumerAt = new Map<string, number>();
  const clientAuthMode = asRecord(root.clientAuth).mode;
  asArray(root.consumers).forEach((c, i) => {
    const consumer = asRecord(c);
    const name = consumer.name;
    if (typeof name === "string") {
      const prev = seenAt(consumerAt, name, i);
      if (prev !== undefined) {
        problems.push({
          path: ["consumers", i, "name"],
          text: `got ${show(name)}; allowed: a name not used before (already at ${keyPath(["consumers", prev])})`,
        });
      }
    }
    problems.push(
      ...consumerLimitProblems(
        consumer,
        i,
        tier && sku ? { sku, tokenLimitPolicy: tier.tokenLimitPolicy } : undefined,
        clientAuthMode,
      ),
    );
  });
  problems.push(...clientAuthProblems(asRecord(root.clientAuth)));
  const monitoring = asRecord(root.monitoring);
  if (typeof monitoring.appInsightsId === "string" && monitoring.workspaceId === undefined) {
    problems.push({
      path: ["monitoring", "workspaceId"],
      text: "missing; required: the Log Analytics workspace of the existing Application Insights in monitoring.appInsightsId (alerts and the workbook query it)",
    });
  }
  return problems;
}

const LIMIT_KEYS = ["tokensPerMinute", "tokenQuota", "tokenQuotaPeriod"] as const;

/** Per-team token limits (issue #12): only on tiers with the token-limit policy, quota and period together, and only when a key identifies the team. */
function consumerLimitProblems(
  consumer: Record<string, unknown>,
  i: number,
  tier: { sku: string; tokenLimitPolicy: boolean } | undefined,
  clientAuthMode: unknown,
): Problem[] {
  const problems: Problem[] = [];
  const set = LIMIT_KEYS.filter((k) => consumer[k] !== undefined);
  if (tier && !tier.tokenLimitPolicy) {
    for (const key of set) {
      problems.push({
        path: ["consumers", i, key],
        text: `got ${show(consumer[key])}; allowed: nothing for sku ${tier.sku} (llm-token-limit is not available in that tier)`,
      });
    }
    return problems;
  }
  if (consumer.tokenQuota !== undefined && consumer.tokenQuotaPeriod === undefined) {
    problems.push({
      path: ["consumers", i, "tokenQuotaPeriod"],
      text: "missing; required with tokenQuota: one of Hourly, Daily, Weekly, Monthly, Yearly",
    });
  }
  if (consumer.tokenQuotaPeriod !== undefined && consumer.tokenQuota === undefined) {
    problems.push({
      path: ["consumers", i, "tokenQuota"],
      text: `missing; required with tokenQuotaPeriod ${show(consumer.tokenQuotaPeriod)}: a positive integer`,
    });
  }
  if (clientAuthMode === "entra-only" && set.length > 0) {
    problems.push({
      path: ["consumers", i, set[0]],
      text: `got ${show(consumer[set[0]])}; allowed: nothing when clientAuth.mode is entra-only (limits are keyed by the team's subscription key, which entra-only callers do not send)`,
    });
  }
  return problems;
}

/** Entra ID client auth needs a tenant, an audience and a restriction to some apps or roles (any app in the tenant would do otherwise). */
function clientAuthProblems(auth: Record<string, unknown>): Problem[] {
  if (auth.mode !== "key-and-entra" && auth.mode !== "entra-only") return [];
  const problems: Problem[] = [];
  const mode = String(auth.mode);
  if (auth.tenantId === undefined) {
    problems.push({
      path: ["clientAuth", "tenantId"],
      text: `missing; required for mode ${mode}: the Entra ID tenant GUID`,
    });
  }
  if (asArray(auth.audiences).length === 0) {
    problems.push({
      path: ["clientAuth", "audiences"],
      text: `got ${show(auth.audiences)}; allowed: at least one audience for mode ${mode} (the gateway app registration's Application ID URI, e.g. api://contoso-ai-gateway)`,
    });
  }
  if (asArray(auth.clientAppIds).length === 0 && asArray(auth.roles).length === 0) {
    problems.push({
      path: ["clientAuth"],
      text: `got no clientAppIds and no roles; allowed: at least one of them for mode ${mode} (otherwise any app in the tenant could call)`,
    });
  }
  return problems;
}

/**
 * Weights default to capacity share inside a priority group; mixing explicit
 * and default weights in one group has no clear meaning, so it is an error.
 */
function weightProblems(root: Record<string, unknown>): Problem[] {
  const groups = new Map<string, { withWeight: PathPart[][]; without: PathPart[][] }>();
  asArray(root.backends).forEach((rawBackend, i) => {
    if (!BackendSchema.safeParse(rawBackend).success) return;
    asArray(asRecord(rawBackend).deployments).forEach((rawDeployment, j) => {
      const d = DeploymentSchema.safeParse(rawDeployment);
      if (!d.success) return;
      const key = `${d.data.name}|${d.data.priority}`;
      const g = groups.get(key) ?? { withWeight: [], without: [] };
      (d.data.weight === undefined ? g.without : g.withWeight).push(["backends", i, "deployments", j]);
      groups.set(key, g);
    });
  });
  const problems: Problem[] = [];
  for (const [key, g] of groups) {
    if (g.withWeight.length === 0 || g.without.length === 0) continue;
    const [name, priority] = key.split("|");
    for (const path of g.without) {
      problems.push({
        path: [...path, "weight"],
        text: `missing; required: ${range(LIMITS.poolWeight)}, because ${keyPath(g.withWeight[0])} sets a weight in route ${show(name)} priority ${priority} (set weight on every member of a priority group or on none)`,
      });
    }
  }
  return problems;
}
