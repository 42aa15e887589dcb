/**
 * Stack config validation: structure (zod) and the cross-field rules that
 * depend on Azure and APIM limits. Pure: no Pulumi, no Azure.
 *
 * Every message names the key path as a user writes it in a stack file
 * (`aoai-gateway:backends[2].deployments[0].priority`), the bad value and what
 * is allowed; all problems are reported at once (issue #2).
 */
import type { z } from "zod";
import { buildCatalog, catalogProblem } from "./catalog";
import { capacityProblems } from "./plausibility";
import { SECRET_CAPABLE_KEYS, credentialIn } from "./secrets";
import { OPERATOR_SUBSCRIPTION_ID } from "../model/names";
import {
  APIM_SKUS,
  DEFAULT_MAX_WAIT_SECONDS,
  BackendSchema,
  CONFIG_NAMESPACE,
  CatalogEntrySchema,
  DeploymentSchema,
  type GatewayNetworkMode,
  NETWORKING,
  NetworkSchema,
  LIMITS,
  REGIONS,
  type ParsedConfig,
  type RoutingMode,
  RootSchema,
  SubscriptionSchema,
  TIERS,
  isProvisioned,
} from "./schema";
import {
  MODES,
  TIERS_WITHOUT_NETWORK,
  armIdParts,
  contains,
  createdSubnets,
  defaultMode,
  gatewaySubnetRule,
  isAligned,
  isInjection,
  modesOf,
  offersGatewayPrivateEndpoint,
  overlaps,
  parseCidr,
  tiersByMode,
  usableAddresses,
} from "./network";
import { gatewayRegionProblems, poolsPerRoute, rawLocalityOf, regionCountOf } from "./gateway-regions";
import { didYouMean } from "./suggest";

/** A validated config with every default resolved. */
export interface ValidConfig extends ParsedConfig {
  readonly gateway: ParsedConfig["gateway"] & { readonly capacity: number };
  readonly routing: ParsedConfig["routing"] & { readonly mode: RoutingMode; readonly maxWaitSeconds: number };
  /** With the tier's default gateway mode resolved (issue #20). */
  readonly network?: NonNullable<ParsedConfig["network"]> & { readonly gatewayMode: GatewayNetworkMode };
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

/** `["monitoring", "alerts", "webhooks", 0]` -> `monitoring.alerts.webhooks[]` (the schema form of a path). */
function schemaPathOf(path: readonly PathPart[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[]` : out ? `${out}.${part}` : part),
    "",
  );
}

/**
 * A refused value of a secret-capable key that carries a credential is not repeated in the message
 * (issue #17: CI logs keep what `plan` prints).
 */
function hideCredential(issue: z.core.$ZodIssue, text: string): string {
  const input = (issue as { input?: unknown }).input;
  if (typeof input !== "string" || !SECRET_CAPABLE_KEYS.includes(schemaPathOf(issue.path as PathPart[]))) return text;
  const why = credentialIn(input);
  return why === undefined
    ? text
    : text.replace(`got ${show(input)}`, `got a value that carries a credential (${why}; not shown)`);
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
 * Namespaces of a stack file's keys besides ours that are passed through to
 * Pulumi or a provider (README, "Configuration reference"): `pulumi:` (engine
 * settings such as disable-default-providers), `azure-native:` (provider
 * settings) and `random:` (the @pulumi/random provider the program uses).
 */
export const PASSTHROUGH_NAMESPACES = ["pulumi", "azure-native", "random"] as const;

/**
 * Keys of a whole stack config map that nothing reads (issue #11): outside our
 * namespace and the passthrough ones, e.g. `consumers` without the prefix or
 * `aoai-gatway:tags`. Keys inside our namespace are checked by the schema.
 */
export function stackKeyProblems(keys: readonly string[]): string[] {
  const ours = Object.keys(RootSchema.shape).map((k) => `${CONFIG_NAMESPACE}:${k}`);
  const allowed = `${CONFIG_NAMESPACE}:<key> (${Object.keys(RootSchema.shape).join(", ")}) or a key of a passthrough namespace (${PASSTHROUGH_NAMESPACES.map((n) => `${n}:*`).join(", ")})`;
  return keys
    .filter((key) => {
      const ns = key.includes(":") ? key.slice(0, key.indexOf(":")) : undefined;
      return ns !== CONFIG_NAMESPACE && !(PASSTHROUGH_NAMESPACES as readonly (string | undefined)[]).includes(ns);
    })
    .map((key) => `${key}: unknown stack config key, nothing reads it${didYouMean(key, ours)}; allowed: ${allowed}`);
}

export interface ValidateOptions {
  /** Every key of the stack file's config map; when given, keys nothing reads are errors too. */
  readonly stackKeys?: readonly string[];
}

/**
 * Validate the `aoai-gateway:` namespace of a stack config (keys without the
 * namespace prefix, values already parsed from YAML/JSON).
 * Throws ConfigError listing every problem; returns the config with defaults.
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidConfig {
  const keyProblems = options.stackKeys ? stackKeyProblems(options.stackKeys) : [];
  const problems: Problem[] = [];
  const parsed = RootSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ path: issue.path as PathPart[], text: hideCredential(issue, describeIssue(issue)) });
    }
  }
  // Cross-field rules run on every entry that is valid on its own, so one typo
  // does not hide the rest of the report.
  problems.push(...crossFieldProblems(raw));
  if (keyProblems.length > 0 || problems.length > 0 || !parsed.success) {
    throw new ConfigError([...keyProblems, ...dedupe(problems).map((p) => `${keyPath(p.path)}: ${p.text}`)]);
  }
  const config = parsed.data;
  const tier = TIERS[config.gateway.sku];
  const { network, ...rest } = config;
  const gatewayMode = network ? (network.gatewayMode ?? defaultMode(config.gateway.sku)) : undefined;
  return {
    ...rest,
    gateway: { ...config.gateway, capacity: config.gateway.capacity ?? tier.minUnits },
    routing: {
      ...config.routing,
      mode: config.routing.mode ?? (tier.circuitBreaker ? "pool" : "policy"),
      maxWaitSeconds: config.routing.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS,
    },
    // networkProblems refused a tier without a mode, so gatewayMode is set whenever network is.
    ...(network && gatewayMode ? { network: { ...network, gatewayMode } } : {}),
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
        const provisioned = isProvisioned(q.sku);
        // PTU quota is model-independent (issue #11): one pool per type and region.
        const key = provisioned ? `*|${q.sku}|${q.location}` : `${q.model}|${q.sku}|${q.location}`;
        const prev = seenAt(poolAt, key, j);
        if (prev !== undefined) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: provisioned
              ? `got a second override for ${q.sku} in ${q.location}; allowed: one override per provisioned type and region (PTU quota is shared by every model; first at ${keyPath(["subscriptions", i, "quotas", prev])})`
              : `got a second override for ${q.model} ${q.sku} in ${q.location}; allowed: one override per model, deployment type and region (first at ${keyPath(["subscriptions", i, "quotas", prev])})`,
          });
        }
        if (!provisioned && q.model === undefined) {
          problems.push({
            path: ["subscriptions", i, "quotas", j, "model"],
            text: `missing; required: a model name for ${q.sku} (Standard-family quota is granted per model)`,
          });
        }
        if (provisioned && (q.ptu === undefined || q.tpm !== undefined)) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: `got ${q.tpm !== undefined ? "tpm" : "neither tpm nor ptu"} for provisioned type ${q.sku}; allowed: ptu (provisioned quota is counted in PTUs)`,
          });
        }
        if (!provisioned && q.tpm !== undefined && q.rpm !== undefined) {
          problems.push({
            path: ["subscriptions", i, "quotas", j],
            text: `got both tpm and rpm for ${q.sku}; allowed: tpm for token-metered models, rpm for request-metered ones (images, whisper, tts; issue #19)`,
          });
        }
        if (!provisioned && ((q.tpm === undefined && q.rpm === undefined) || q.ptu !== undefined)) {
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
    if (tier.maxPolicyDocumentBytes < ROUTING_POLICY_MIN_BYTES) {
      problems.push({
        path: ["gateway", "sku"],
        text: `got ${show(sku)}; allowed: a tier whose policy documents may hold the routing policy (at least ${ROUTING_POLICY_MIN_BYTES.toLocaleString("en-US")} bytes for one route; ${sku} accepts ${tier.maxPolicyDocumentBytes.toLocaleString("en-US")}): ${ALLOWED_FOR_POLICY_SIZE}`,
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
  const catalog = buildCatalog(
    asArray(root.modelCatalog).flatMap((e) => {
      const parsed = CatalogEntrySchema.safeParse(e);
      return parsed.success ? [parsed.data] : [];
    }),
  );
  const accountsPerRegion = new Map<string, number[]>();
  const routes = new Map<string, { members: { path: PathPart[]; model: string; known: boolean }[] }>();
  asArray(root.backends).forEach((rawBackend, i) => {
    const b = asRecord(rawBackend);
    knownAlias(b.subscription, ["backends", i, "subscription"]);
    if (b.publicNetworkAccess === "Disabled" && root.network === undefined) {
      problems.push({
        path: ["backends", i, "publicNetworkAccess"],
        text: `got "Disabled"; allowed: Enabled, unless aoai-gateway:network gives the gateway private endpoints to the accounts (without them every gateway call gets 403 from the account, which the circuit breaker does not count, so nothing fails over; docs/networking.md)`,
      });
    }
    const location = typeof b.location === "string" && REGIONS.includes(b.location) ? b.location : undefined;
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
      if (location !== undefined) {
        const problem = catalogProblem(catalog, {
          model: d.data.model,
          version: d.data.version,
          sku: d.data.sku,
          location,
          capacity: d.data.capacity,
          provisioned: isProvisioned(d.data.sku),
        });
        if (problem)
          problems.push({
            path: problem.key === "location" ? ["backends", i, "location"] : [...path, problem.key],
            text: problem.text,
          });
      }
      const route = routes.get(d.data.name) ?? { members: [] };
      route.members.push({ path, model: d.data.model, known: catalog.has(d.data.model) });
      routes.set(d.data.name, route);
    });
  });
  for (const [name, route] of routes) problems.push(...routeModelProblems(name, route.members));
  problems.push(...backendKeyProblems(asArray(root.backends), accountsPerRegion));
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
  problems.push(...spilloverProblems(root), ...capacityProblems(root));
  if (tier && sku && tier.maxBackends !== null) {
    // Every route member is one APIM backend, and pool mode adds one pool per route (issue #9).
    const members = [...routes.values()].reduce((n, r) => n + r.members.length, 0);
    const mode = asRecord(root.routing).mode ?? (tier.circuitBreaker ? "pool" : "policy");
    // With locality on in several gateway regions, pool mode has one pool per route and region (issue #22).
    const regions = regionCountOf(root);
    const pools =
      mode === "pool" ? [...routes.keys()].reduce((n, r) => n + poolsPerRoute(regions, rawLocalityOf(root, r)), 0) : 0;
    if (members + pools > tier.maxBackends) {
      problems.push({
        path: ["backends"],
        text: `got ${members + pools} APIM backends (${members} deployments${pools > 0 ? ` + ${pools} pools` : ""}); allowed: at most ${tier.maxBackends} backends per service in sku ${sku} (Microsoft's service limits)`,
      });
    }
  }
  problems.push(...gatewayRegionProblems(root, [...routes.keys()]));
  problems.push(...weightProblems(root));
  // Consumers: one APIM subscription each, so names must be unique.
  const consumerAt = new Map<string, number>();
  const clientAuthMode = asRecord(root.clientAuth).mode;
  asArray(root.consumers).forEach((c, i) => {
    const consumer = asRecord(c);
    const name = consumer.name;
    if (name === OPERATOR_SUBSCRIPTION_ID) {
      // The stack creates this subscription itself for smoke tests (issue #21, decision 2): a team of that
      // name would collide with it and get the operator's pinned-member header.
      problems.push({
        path: ["consumers", i, "name"],
        text: `got ${show(name)}; allowed: any other name (${OPERATOR_SUBSCRIPTION_ID} is the operator subscription the stack creates)`,
      });
    }
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
  problems.push(...networkProblems(root, rawSubscriptions));
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
 * One deployment name is one route and serves one model. When the members
 * disagree, the model most of them name is taken as meant (ties: a model the
 * catalog knows, then the first seen), and only the odd ones out are blamed:
 * a typo in one of several entries does not make the correct ones errors
 * (issue #11).
 */
function routeModelProblems(name: string, members: { path: PathPart[]; model: string; known: boolean }[]): Problem[] {
  const counts = new Map<string, { n: number; known: boolean; first: number; at: PathPart[] }>();
  members.forEach((m, k) => {
    const c = counts.get(m.model) ?? { n: 0, known: m.known, first: k, at: m.path };
    c.n++;
    counts.set(m.model, c);
  });
  if (counts.size < 2) return [];
  const [meant, info] = [...counts.entries()].sort(
    ([, a], [, b]) => b.n - a.n || Number(b.known) - Number(a.known) || a.first - b.first,
  )[0];
  return members
    .filter((m) => m.model !== meant)
    .map((m) => ({
      path: [...m.path, "model"],
      text: `got ${show(m.model)}; allowed: ${show(meant)}, the model ${info.n === 1 ? `route ${show(name)} has at ${keyPath(info.at)}` : `${info.n} other members of route ${show(name)} have`} (one deployment name is one route and serves one model)`,
    }));
}

/**
 * Account names depend on subscription, region and the entry's `key`, never
 * on its place in the list (issue #11). In one subscription+region at most one
 * entry may go without a key, and keys are unique there.
 */
function backendKeyProblems(backends: unknown[], accountsPerRegion: Map<string, number[]>): Problem[] {
  const problems: Problem[] = [];
  // The account key `<alias>-<region>[-<key>]` must be unique across groups
  // too (alias "a-eastus" in westus vs alias "a" in eastus with key "westus").
  const accountKeyAt = new Map<string, number>();
  backends.forEach((raw, i) => {
    const b = asRecord(raw);
    if (typeof b.subscription !== "string" || typeof b.location !== "string") return;
    const accountKey = [b.subscription, b.location, ...(typeof b.key === "string" ? [b.key] : [])].join("-");
    const first = seenAt(accountKeyAt, accountKey, i);
    const sameGroup =
      first !== undefined &&
      asRecord(backends[first]).subscription === b.subscription &&
      asRecord(backends[first]).location === b.location;
    if (first !== undefined && !sameGroup) {
      problems.push({
        path: ["backends", i, "key"],
        text: `got ${show(b.key)}; allowed: a key that does not repeat the account key ${show(accountKey)} of ${keyPath(["backends", first])} (the account key names its Pulumi resources and APIM backends)`,
      });
    }
  });
  for (const [group, indices] of accountsPerRegion) {
    const [subscription, location] = group.split("|");
    const keyAt = new Map<string, number>();
    let keyless: number | undefined;
    for (const i of indices) {
      const key = asRecord(backends[i]).key;
      if (typeof key !== "string") {
        if (keyless === undefined) {
          keyless = i;
          continue;
        }
        problems.push({
          path: ["backends", i, "key"],
          text: `missing; required: a key (e.g. "2" or "ptu"), because ${keyPath(["backends", keyless])} is also in subscription ${show(subscription)} region ${location} without one (account names come from subscription, region and key, never from list order; key "${indices.indexOf(i) + 1}" keeps the name this entry had before keys existed)`,
        });
        continue;
      }
      const first = seenAt(keyAt, key, i);
      if (first !== undefined) {
        problems.push({
          path: ["backends", i, "key"],
          text: `got ${show(key)}; allowed: a key not used before in subscription ${show(subscription)} region ${location} (already at ${keyPath(["backends", first])})`,
        });
      }
    }
  }
  return problems;
}

/**
 * Weights default to capacity share inside a priority group; mixing explicit
 * and default weights in one group has no clear meaning, so it is an error.
 */
/**
 * The smallest routing policy (one route, one member) in bytes, rounded down: measured by
 * test/policies.test.ts, which fails if the policy shrinks below it. Consumption accepts 16 KiB
 * (Learn, API Management service limits), so it cannot hold the policy until the policy is split
 * into fragments (32 KB each, every tier).
 */
export const ROUTING_POLICY_MIN_BYTES = 24_000;
const ALLOWED_FOR_POLICY_SIZE = APIM_SKUS.filter(
  (s) => TIERS[s].maxPolicyDocumentBytes >= ROUTING_POLICY_MIN_BYTES,
).join(", ");

/** The standard type a provisioned type may spill over to: the same data processing scope (Learn, spillover traffic management). */
const SPILLOVER_TARGET: Partial<Record<string, string>> = {
  GlobalProvisionedManaged: "GlobalStandard",
  DataZoneProvisionedManaged: "DataZoneStandard",
};

/**
 * Native spillover (issue #9): a Global or Data Zone provisioned deployment may name a standard
 * deployment of the same account (backend entry) with the matching data processing scope and the same
 * model and version; Azure sends the traffic above the PTUs there.
 */
function spilloverProblems(root: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  asArray(root.backends).forEach((rawBackend, i) => {
    const parsed = asArray(asRecord(rawBackend).deployments).map((d) => DeploymentSchema.safeParse(d));
    const byName = new Map(parsed.flatMap((d, j) => (d.success ? [[d.data.name, { ...d.data, j }] as const] : [])));
    parsed.forEach((d, j) => {
      if (!d.success || d.data.spilloverDeployment === undefined) return;
      const path: PathPart[] = ["backends", i, "deployments", j, "spilloverDeployment"];
      const got = show(d.data.spilloverDeployment);
      const targetType = SPILLOVER_TARGET[d.data.sku];
      if (targetType === undefined) {
        problems.push({
          path,
          text: `got ${got} on a ${d.data.sku} deployment; allowed: spillover only from GlobalProvisionedManaged or DataZoneProvisionedManaged deployments`,
        });
        return;
      }
      const target = byName.get(d.data.spilloverDeployment);
      const sameType = [...byName.values()].filter((t) => t.sku === targetType && t.model === d.data.model);
      const offered = sameType.length > 0 ? sameType.map((t) => show(t.name)).join(", ") : "none in this entry";
      if (!target) {
        problems.push({
          path,
          text: `got ${got}; allowed: a ${targetType} deployment of ${d.data.model} in the same backend entry (${offered})`,
        });
      } else if (target.sku !== targetType || target.model !== d.data.model || target.version !== d.data.version) {
        problems.push({
          path,
          text: `got ${got} (${target.sku}, ${target.model} ${target.version}); allowed: a ${targetType} deployment of ${d.data.model} ${d.data.version} (the same data processing scope, model and version; ${offered})`,
        });
      }
    });
  });
  return problems;
}

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

/**
 * aoai-gateway:network (issue #20): a mode the tier offers, subnets that fit, and existing resources in
 * subscriptions the stack has a provider for. Azure's own refusals (hashicorp/terraform-provider-azurerm#21506,
 * Azure/terraform-azurerm-avm-ptn-aiml-landing-zone#93, ...) become config errors here, before any resource.
 */
function networkProblems(root: Record<string, unknown>, rawSubscriptions: unknown[]): Problem[] {
  if (root.network === undefined) return [];
  const parsed = NetworkSchema.safeParse(root.network);
  if (!parsed.success) return [];
  const network = parsed.data;
  const problems: Problem[] = [];
  const gateway = asRecord(root.gateway);
  const sku = typeof gateway.sku === "string" && gateway.sku in TIERS ? gateway.sku : undefined;
  const subscriptionIds = new Map<string, string>();
  for (const raw of rawSubscriptions) {
    const s = SubscriptionSchema.safeParse(raw);
    if (s.success) subscriptionIds.set(s.data.id.toLowerCase(), s.data.alias);
  }
  const aliasOfId = (id: string) => subscriptionIds.get(id.toLowerCase());
  const gatewaySubscriptionId = [...subscriptionIds.entries()].find(([, a]) => a === gateway.subscription)?.[0];
  const listed = [...subscriptionIds.values()].join(", ");

  // Issues #20 and #22 together: the network is one virtual network in the primary gateway's region, so a
  // further gateway region (a second v2 gateway or a Premium location) would have no path to the private
  // endpoints. Refused until per-region networks exist, rather than deploying a region that answers 403.
  const further = Array.isArray(gateway.additionalLocations) ? gateway.additionalLocations.length : 0;
  if (further > 0) {
    problems.push({
      path: ["network"],
      text: `got a private network with ${further} additional gateway location${further === 1 ? "" : "s"}; allowed: aoai-gateway:network with one gateway region (gateway.additionalLocations empty), or several gateway regions without a network (docs/networking.md, docs/multi-region.md)`,
    });
  }

  if ((network.virtualNetwork === undefined) === (network.subnets === undefined)) {
    problems.push({
      path: ["network"],
      text: `got ${network.virtualNetwork ? "both virtualNetwork and subnets" : "neither virtualNetwork nor subnets"}; allowed: exactly one: virtualNetwork (the stack creates the network) or subnets (existing subnets by ARM id)`,
    });
  }

  let mode: GatewayNetworkMode | undefined;
  if (sku !== undefined) {
    const offered = modesOf(sku);
    if (offered.length === 0) {
      problems.push({
        path: ["network"],
        text: `got a network for sku ${sku}; allowed: a tier whose gateway can reach private endpoints (${tiersByMode()}); ${TIERS_WITHOUT_NETWORK.join(", ")} cannot, so the accounts could not be private`,
      });
    } else if (network.gatewayMode !== undefined && !offered.includes(network.gatewayMode)) {
      problems.push({
        path: ["network", "gatewayMode"],
        text: `got ${show(network.gatewayMode)}; allowed for sku ${sku}: ${offered.join(", ")} (${network.gatewayMode} is offered by ${MODES[network.gatewayMode].tiers.join(", ")})`,
      });
    } else {
      mode = network.gatewayMode ?? defaultMode(sku);
    }
    if (network.gatewayPrivateEndpoint) {
      if (!offersGatewayPrivateEndpoint(sku)) {
        problems.push({
          path: ["network", "gatewayPrivateEndpoint"],
          text: `got true; allowed: false for sku ${sku} (an inbound private endpoint is offered by ${NETWORKING.gatewayPrivateEndpointTiers.join(", ")})`,
        });
      } else if (mode !== undefined && isInjection(mode)) {
        problems.push({
          path: ["network", "gatewayPrivateEndpoint"],
          text: `got true with gatewayMode ${mode}; allowed: false (API Management offers no inbound private endpoint on a service injected in a virtual network; Internal mode already gives it a private address)`,
        });
      }
    }
  }

  if (network.gatewayPublicNetworkAccess === "Disabled" && !network.gatewayPrivateEndpoint) {
    problems.push({
      path: ["network", "gatewayPublicNetworkAccess"],
      text: `got "Disabled" without gatewayPrivateEndpoint; allowed: Enabled, or Disabled with gatewayPrivateEndpoint true (Azure refuses Disabled until the service has an approved private endpoint, and no client could reach the gateway)`,
    });
  }
  const endpoints = asArray(root.backends).length + (network.gatewayPrivateEndpoint ? 1 : 0);
  const rule = sku !== undefined && mode !== undefined ? gatewaySubnetRule(sku, mode) : undefined;
  if (network.virtualNetwork) {
    const base: PathPart[] = ["network", "virtualNetwork"];
    const space = parseCidr(network.virtualNetwork.addressSpace);
    const subnets = createdSubnets(network.virtualNetwork);
    if (space.prefix > 26) {
      problems.push({
        path: [...base, "addressSpace"],
        text: `got ${show(network.virtualNetwork.addressSpace)}; allowed: a /26 or larger block (two subnets: API Management's and the private endpoints')`,
      });
    } else {
      const checks: [string, string, number, string][] = [
        [
          "gatewaySubnet",
          subnets.gateway,
          rule?.minPrefix ?? 29,
          `API Management in ${mode ?? "this"} mode${sku ? ` on ${sku}` : ""}`,
        ],
        [
          "privateEndpointSubnet",
          subnets.privateEndpoints,
          NETWORKING.privateEndpointSubnetMinPrefix,
          "private endpoints",
        ],
      ];
      for (const [key, text, minPrefix, what] of checks) {
        const c = parseCidr(text);
        const given = key in network.virtualNetwork;
        const at: PathPart[] = given ? [...base, key] : [...base, "addressSpace"];
        if (!isAligned(c)) {
          problems.push({
            path: at,
            text: `got ${show(text)}; allowed: a block starting on its own boundary (${key})`,
          });
        } else if (!contains(space, c)) {
          problems.push({
            path: at,
            text: `got ${show(text)}${given ? "" : ` (the default ${key})`}; allowed: a block inside addressSpace ${network.virtualNetwork.addressSpace}`,
          });
        } else if (c.prefix > minPrefix) {
          problems.push({
            path: at,
            text: `got ${show(text)}; allowed: /${minPrefix} or larger for ${what} (Microsoft's subnet requirements, infra/data/apim-networking.json)`,
          });
        }
      }
      const g = parseCidr(subnets.gateway);
      const pe = parseCidr(subnets.privateEndpoints);
      if (overlaps(g, pe)) {
        problems.push({
          path: [...base, "privateEndpointSubnet"],
          text: `got ${show(subnets.privateEndpoints)}, which overlaps gatewaySubnet ${subnets.gateway}; allowed: two separate blocks (API Management's subnet is dedicated to it)`,
        });
      } else if (usableAddresses(pe) < endpoints) {
        problems.push({
          path: [...base, "privateEndpointSubnet"],
          text: `got ${show(subnets.privateEndpoints)} with ${usableAddresses(pe)} usable addresses; allowed: a block with at least ${endpoints} (one per private endpoint; Azure reserves 5 per subnet)`,
        });
      }
    }
  }
  if (network.subnets) {
    const base: PathPart[] = ["network", "subnets"];
    const gatewaySubnet = armIdParts(network.subnets.gateway);
    if (gatewaySubscriptionId !== undefined && gatewaySubnet.subscriptionId !== gatewaySubscriptionId) {
      problems.push({
        path: [...base, "gateway"],
        text: `got a subnet in subscription ${gatewaySubnet.subscriptionId}; allowed: a subnet in the gateway's subscription ${gatewaySubscriptionId} (${String(gateway.subscription)}): API Management and its virtual network must share subscription and region`,
      });
    }
    const endpointSubnet = armIdParts(network.subnets.privateEndpoints);
    const endpointAlias = aliasOfId(endpointSubnet.subscriptionId);
    if (endpointAlias === undefined) {
      problems.push({
        path: [...base, "privateEndpoints"],
        text: `got a subnet in subscription ${endpointSubnet.subscriptionId}, which aoai-gateway:subscriptions does not list; allowed: a subnet in a listed subscription (${listed}), since the private endpoints are created there: add the subscription with an alias`,
      });
    } else if (
      endpointSubnet.subscriptionId !== gatewaySubscriptionId &&
      network.subnets.privateEndpointResourceGroup === undefined
    ) {
      problems.push({
        path: [...base, "privateEndpointResourceGroup"],
        text: `missing; required: an existing resource group in subscription ${endpointAlias} for the private endpoints (their subnet is not in the gateway's subscription)`,
      });
    }
  }

  const zoneChecks: [string, string | undefined, boolean][] = [
    ["openai", network.dnsZones.openai, true],
    ["apim", network.dnsZones.apim, network.gatewayPrivateEndpoint],
  ];
  for (const [key, id, used] of zoneChecks) {
    if (id !== undefined && !used) {
      problems.push({
        path: ["network", "dnsZones", key],
        text: `got a zone id; allowed: nothing unless gatewayPrivateEndpoint is true (only the gateway's private endpoint registers in privatelink.azure-api.net)`,
      });
      continue;
    }
    if (!used) continue;
    if (id === undefined && !network.linkDnsZones) {
      problems.push({
        path: ["network", "linkDnsZones"],
        text: `got false while the stack creates zone ${key === "openai" ? "privatelink.openai.azure.com" : "privatelink.azure-api.net"}; allowed: true, or dnsZones.${key} naming an existing zone that is linked already (a zone linked to no network resolves nothing: the gateway would get the accounts' public addresses and 403 once their public access is off)`,
      });
    }
    if (id !== undefined && network.linkDnsZones && aliasOfId(armIdParts(id).subscriptionId) === undefined) {
      problems.push({
        path: ["network", "dnsZones", key],
        text: `got a zone in subscription ${armIdParts(id).subscriptionId}, which aoai-gateway:subscriptions does not list; allowed: a zone in a listed subscription (${listed}) so the stack can link it to the gateway's network, or linkDnsZones false when the zone's owner links it`,
      });
    }
  }

  if (network.gatewayPublicIpId !== undefined) {
    const classicInjection = sku !== undefined && mode !== undefined && sku !== "PremiumV2" && isInjection(mode);
    if (!classicInjection) {
      problems.push({
        path: ["network", "gatewayPublicIpId"],
        text: `got a public IP; allowed: only with classic injection (Developer or Premium in External or Internal mode)`,
      });
    } else if (
      gatewaySubscriptionId !== undefined &&
      armIdParts(network.gatewayPublicIpId).subscriptionId !== gatewaySubscriptionId
    ) {
      problems.push({
        path: ["network", "gatewayPublicIpId"],
        text: `got a public IP in subscription ${armIdParts(network.gatewayPublicIpId).subscriptionId}; allowed: one in the gateway's subscription ${gatewaySubscriptionId} and region (Azure requires both)`,
      });
    }
  }
  return problems;
}
