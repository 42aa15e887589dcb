import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import type { RoutingMode } from "../infra/config/schema";
import { validateConfig } from "../infra/config/validate";
import { backendId, poolId } from "../infra/model/names";
import { regionalPriorities } from "../infra/model/gateway-regions";
import { buildTopology, type Topology } from "../infra/model/topology";
import {
  COGNITIVE_SERVICES_RESOURCE,
  MAX_RETRY_COUNT,
  POLICY_TEMPLATE_DIR,
  type PolicyContext,
  type PolicyMember,
  createPolicyContext,
  isoDurationSeconds,
  renderPolicies,
  renderTemplate,
} from "../infra/policies/render";
import {
  backend,
  configErrorOf,
  deployment,
  subscriptionId,
  validRawConfig,
  type RawConfigFixture,
} from "./helpers/config-fixtures";
import { SKIPPED_WITHOUT_SHARED, policyLinter } from "./helpers/shared-tools";
import { EXAMPLE_NAMES, type ExampleName, exampleFile, stackFiles } from "./helpers/stacks";

const ROOT = resolve(__dirname, "..");
const LINTER = policyLinter();

/** The linter's report on one file (only called by tests that skip without it). */
function lint(file: string): string {
  if (LINTER === null) throw new Error("apim-policy-lint is not installed");
  return execFileSync(LINTER, [file], { encoding: "utf8" });
}
/** Every stack file in stacks/ (issue #11: no test pins the list; #17: nothing pins their values either). */
const STACKS = stackFiles();
const MODES: readonly RoutingMode[] = ["pool", "policy"];

const scratch = mkdtempSync(join(tmpdir(), "aoai-gateway-policies-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stack file's topology; with `mode`, from a cloned config whose `routing.mode` is set to it. */
function topologyOf(file: string, mode?: RoutingMode): Topology {
  const raw = structuredClone(namespaceConfig(readStackConfig(file)));
  if (mode) {
    const routing = raw.routing !== null && typeof raw.routing === "object" ? raw.routing : {};
    raw.routing = { ...routing, mode };
  }
  return buildTopology(validateConfig(raw));
}

/** A shipped example's topology from its test-owned copy (test/fixtures/examples): what pinned tests use (#17). */
function stackTopology(stack: ExampleName, mode?: RoutingMode): Topology {
  return topologyOf(exampleFile(stack), mode);
}

function fixtureTopology(raw: RawConfigFixture): Topology {
  return buildTopology(validateConfig(raw));
}

/** The one API-scope document of a topology. */
function apiXml(topology: Topology): string {
  const docs = renderPolicies(topology);
  const api = docs.find((d) => d.scope === "api");
  if (!api) throw new Error("no api-scope policy rendered");
  return api.xml;
}

// ---- A small DOM over fast-xml-parser's ordered output -------------------

interface Node {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly Node[];
  readonly text: string;
}

type Ordered = Record<string, unknown>;

function toNodes(items: readonly Ordered[]): Node[] {
  const nodes: Node[] = [];
  for (const item of items) {
    const name = Object.keys(item).find((k) => k !== ":@");
    if (!name || name === "#text" || name === "#comment") continue;
    const kids = item[name] as Ordered[];
    nodes.push({
      name,
      attrs: (item[":@"] as Record<string, string> | undefined) ?? {},
      children: toNodes(kids),
      text: kids
        .filter((k) => "#text" in k)
        .map((k) => String(k["#text"]))
        .join(""),
    });
  }
  return nodes;
}

function parse(xml: string): Node {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    commentPropName: "#comment",
  });
  const [root] = toNodes(parser.parse(xml) as Ordered[]);
  return root;
}

function child(node: Node, name: string): Node {
  const found = node.children.filter((c) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one <${name}> in <${node.name}>, found ${found.length}`);
  return found[0];
}

/** Every descendant named `name`, in document order. */
function all(node: Node, name: string): Node[] {
  return node.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

/** Every descendant with its ancestors (nearest last). */
function withAncestors(node: Node, trail: Node[] = []): { node: Node; ancestors: Node[] }[] {
  return node.children.flatMap((c) => [
    { node: c, ancestors: [...trail, node] },
    ...withAncestors(c, [...trail, node]),
  ]);
}

/** The selection loop's retry (policies/partials/attempts.hbs): the one that goes on while aoai-again holds. */
function selectionRetry(root: Node): Node {
  const found = all(root, "retry").find((r) => r.attrs.condition === '@((bool)context.Variables["aoai-again"])');
  if (!found) throw new Error("no selection retry");
  return found;
}

function section(xml: string, name: "inbound" | "backend" | "outbound" | "on-error"): Node {
  return child(parse(xml), name);
}

/** A route branch's condition: the deployment variable compared with one name. */
const ROUTE_CONDITION = /^@\(\(string\)context\.Variables\["aoai-deployment"\] == "([^"]+)"\)$/;

/** The route `when` branches of the inbound routing choose (one per deployment name). */
function routeBranches(xml: string): Node[] {
  const choose = section(xml, "inbound").children.find(
    (c) => c.name === "choose" && c.children.some((w) => ROUTE_CONDITION.test(w.attrs.condition ?? "")),
  );
  if (!choose) throw new Error("no routing <choose> in inbound");
  return choose.children.filter((c) => c.name === "when" && ROUTE_CONDITION.test(c.attrs.condition ?? ""));
}

function setVariable(node: Node, name: string): string {
  const found = node.children.filter((c) => c.name === "set-variable" && c.attrs.name === name);
  if (found.length !== 1) throw new Error(`expected one set-variable ${name}, found ${found.length}`);
  return found[0].attrs.value;
}

/** Per route name: the member data the policy carries (aoai-members). */
function emittedMembers(xml: string): Record<string, PolicyMember[]> {
  return Object.fromEntries(
    routeBranches(xml).map((when) => {
      const route = ROUTE_CONDITION.exec(when.attrs.condition)?.[1] ?? "?";
      return [route, JSON.parse(setVariable(when, "aoai-members")) as PolicyMember[]];
    }),
  );
}

/** The members the topology says a route has, in the data form the policy carries. */
function expectedMembers(topology: Topology, route: string): PolicyMember[] {
  const r = topology.routes.find((x) => x.name === route);
  if (!r) throw new Error(`no route ${route}`);
  return r.members.map((m, i) => ({
    id: m.backendId,
    backend: m.backendId,
    url: `${m.accountEndpoint}openai`,
    priority: m.priority,
    weight: m.weight,
    location: m.location,
    subscription: m.subscription.alias,
    // issue #22: with locality on, the member's priority per gateway region
    ...(r.locality !== "off"
      ? {
          regional: Object.fromEntries(
            topology.gateway.regions.map((g) => [g.location, regionalPriorities(r.members, g.location, r.locality)[i]]),
          ),
        }
      : {}),
  }));
}

const CASES = STACKS.flatMap(({ name, file }) => MODES.map((mode) => ({ stack: name, file, mode })));

// ---- createPolicyContext ---------------------------------------------------

describe("createPolicyContext", () => {
  const prodTopology = stackTopology("prod");
  const prod = createPolicyContext(prodTopology);

  it("carries one route per topology route, with the pool id and member count", () => {
    expect(prod.routes.map((r) => [r.name, r.poolId, r.memberCount])).toEqual([
      ["gpt-4.1-mini", "pool-gpt-4.1-mini", 4],
      ["gpt-4o", "pool-gpt-4o", 4],
    ]);
  });

  it("gives each member its backend id, account URL, priority, weight, region and subscription alias in topology order", () => {
    const url = (key: string) => `${prodTopology.accounts.find((a) => a.key === key)?.endpoint}openai`;
    expect(prod.routes.find((r) => r.name === "gpt-4o")?.members).toEqual([
      {
        id: "aoai-prod-hub-swedencentral-gpt-4o",
        backend: "aoai-prod-hub-swedencentral-gpt-4o",
        url: url("prod-hub-swedencentral"),
        priority: 1,
        weight: 100,
        location: "swedencentral",
        subscription: "prod-hub",
      },
      {
        id: "aoai-prod-east-eastus2-gpt-4o",
        backend: "aoai-prod-east-eastus2-gpt-4o",
        url: url("prod-east-eastus2"),
        priority: 2,
        weight: 50,
        location: "eastus2",
        subscription: "prod-east",
      },
      {
        id: "aoai-prod-west-westus3-gpt-4o",
        backend: "aoai-prod-west-westus3-gpt-4o",
        url: url("prod-west-westus3"),
        priority: 2,
        weight: 50,
        location: "westus3",
        subscription: "prod-west",
      },
      {
        id: "aoai-prod-eu-francecentral-gpt-4o",
        backend: "aoai-prod-eu-francecentral-gpt-4o",
        url: url("prod-eu-francecentral"),
        priority: 3,
        weight: 100,
        location: "francecentral",
        subscription: "prod-eu",
      },
    ]);
  });

  it("serialises each route's members as the JSON the policy carries", () => {
    for (const r of prod.routes) expect(JSON.parse(r.membersJson)).toEqual(r.members);
  });

  it("sets the retry count to one less than the largest route or the account count, at least 1", () => {
    const one = createPolicyContext(fixtureTopology(validRawConfig()));
    expect([prod.retryCount, createPolicyContext(stackTopology("dev")).retryCount, one.retryCount]).toEqual([3, 1, 1]);
  });

  it("keeps the retry count at the largest route, however many accounts (no stored-response search, #18)", () => {
    const raw = validRawConfig();
    raw.subscriptions = Array.from({ length: 60 }, (_, i) => ({ alias: `s${i}`, id: subscriptionId(i + 1) }));
    raw.gateway.subscription = "s0";
    raw.gateway.sku = "Standard";
    raw.backends = Array.from({ length: 60 }, (_, i) =>
      backend({ subscription: `s${i}`, deployments: [deployment({ name: `d${i}`, capacity: 1 })] }),
    );
    expect([createPolicyContext(fixtureTopology(raw)).retryCount, MAX_RETRY_COUNT]).toEqual([1, 50]);
  });

  it("keys the cache by gateway name", () => {
    expect(prod.cacheKeyPrefix).toBe("aoai-gateway:contoso-ai:");
  });

  it("takes the fallback Retry-After from circuitBreaker.tripDuration", () => {
    const raw = validRawConfig();
    raw.circuitBreaker = { tripDuration: "PT2M30S" };
    expect([
      prod.fallbackRetryAfterSeconds,
      createPolicyContext(fixtureTopology(raw)).fallbackRetryAfterSeconds,
    ]).toEqual([60, 150]);
  });

  it("follows the topology's routing mode", () => {
    const policy = createPolicyContext(stackTopology("prod", "policy"));
    expect([prod.routingMode, prod.poolMode, policy.routingMode, policy.poolMode]).toEqual([
      "pool",
      true,
      "policy",
      false,
    ]);
  });

  it("limits every caller and emits token metrics by default (security.limitEveryCaller, monitoring on, #18)", () => {
    const ctx = createPolicyContext(fixtureTopology(validRawConfig()));
    expect([ctx.tokenLimit.enabled, ctx.anyTokenLimit, ctx.tokenMetrics.enabled, ctx.streamUsage]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it("takes prod's per-team limits from aoai-gateway:consumers", () => {
    expect(prod.consumerLimits).toEqual([
      { name: "chat-app", tokensPerMinute: 300000, tokenQuota: null, tokenQuotaPeriod: null },
      { name: "search-indexer", tokensPerMinute: null, tokenQuota: 500000000, tokenQuotaPeriod: "Monthly" },
    ]);
  });

  it("emits no token metric when monitoring is off (no Application Insights logger to send it to)", () => {
    const raw = validRawConfig();
    raw.monitoring = { enabled: false };
    expect(createPolicyContext(fixtureTopology(raw)).tokenMetrics.enabled).toBe(false);
  });

  it("takes the token hooks from aoai-gateway:policies", () => {
    const raw = validRawConfig();
    raw.policies = {
      tokenLimit: { enabled: true, tokensPerMinute: 5000 },
      tokenMetrics: { enabled: true, namespace: "team-ai" },
    };
    const ctx = createPolicyContext(fixtureTopology(raw));
    expect([ctx.tokenLimit, ctx.tokenMetrics]).toEqual([
      { enabled: true, tokensPerMinute: 5000 },
      { enabled: true, namespace: "team-ai" },
    ]);
  });

  it("cannot get a Consumption topology with the token limit on: validation rejects it, naming the key", () => {
    const raw = validRawConfig();
    raw.gateway.sku = "Consumption";
    delete raw.gateway.capacity;
    raw.policies = { tokenLimit: { enabled: true } };
    expect(configErrorOf(() => fixtureTopology(raw))).toEqual([
      'aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold the routing policy (at least 24,000 bytes for one route; Consumption accepts 16,384): Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2',
      "aoai-gateway:policies.tokenLimit.enabled: got true; allowed: false for sku Consumption (azure-openai-token-limit is not available in that tier)",
    ]);
  });

  it("refuses a name that would need escaping in XML, C# or JSON", () => {
    const t = fixtureTopology(validRawConfig());
    const bad: Topology = { ...t, routes: [{ ...t.routes[0], name: `gpt'4o` }] };
    expect(() => createPolicyContext(bad)).toThrow(/deployment name "gpt'4o" cannot be written into a policy/);
  });
});

describe("isoDurationSeconds", () => {
  it("adds hours, minutes and seconds", () => {
    expect(["PT30S", "PT1M", "PT1H2M3S"].map(isoDurationSeconds)).toEqual([30, 60, 3723]);
  });

  it("rejects a bare PT", () => {
    expect(() => isoDurationSeconds("PT")).toThrow(/not an ISO 8601 duration/);
  });
});

// ---- Policy-mode selection data --------------------------------------------

describe.each(STACKS)("policy-mode selection data, stack $name", ({ file }) => {
  const topology = topologyOf(file, "policy");
  const data = emittedMembers(apiXml(topology));

  it("emits every route's members, and only those, with their priority and weight", () => {
    expect(data).toEqual(Object.fromEntries(topology.routes.map((r) => [r.name, expectedMembers(topology, r.name)])));
  });

  it("lists members by priority, lowest number first, so the first group is the one tried first", () => {
    for (const members of Object.values(data)) {
      const priorities = members.map((m) => m.priority);
      expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    }
  });

  it("yields each member's planned share while nothing is throttled (weight over its group's, top group only)", () => {
    for (const route of topology.routes) {
      const members = data[route.name];
      const top = Math.min(...members.map((m) => m.priority));
      const topWeight = members.filter((m) => m.priority === top).reduce((s, m) => s + m.weight, 0);
      const shares = members.map((m) => (m.priority === top ? m.weight / topWeight : 0));
      expect(shares).toEqual(route.members.map((m) => m.share));
    }
  });

  it("gives every priority group a positive total weight", () => {
    for (const members of Object.values(data)) {
      const groups = new Map<number, number>();
      for (const m of members) groups.set(m.priority, (groups.get(m.priority) ?? 0) + m.weight);
      expect([...groups.values()].filter((w) => w <= 0)).toEqual([]);
    }
  });
});

// ---- Every rendered document: both stacks, both modes ----------------------

describe.each(CASES)("api policy, stack $stack, routing mode $mode", ({ stack, file, mode }) => {
  const topology = topologyOf(file, mode);
  const xml = apiXml(topology);
  const root = parse(xml);
  const largest = Math.max(...topology.routes.map((r) => r.members.length));

  it("is well-formed XML", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it.skipIf(LINTER === null)(`passes ../shared/tools/apim-policy-lint${LINTER ? "" : SKIPPED_WITHOUT_SHARED}`, () => {
    const dir = join(scratch, `${stack}-${mode}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "api-azure-openai.xml");
    writeFileSync(file, xml);
    const out = lint(file);
    expect(out).toContain(`${file}: valid`);
  });

  it("has the four sections, each once", () => {
    expect(root.children.map((c) => c.name)).toEqual(["inbound", "backend", "outbound", "on-error"]);
  });

  it("starts inbound, outbound and on-error with <base />, and leaves the global forward-request out of backend", () => {
    const first = (name: string) => child(root, name).children[0]?.name;
    expect([
      first("inbound"),
      first("outbound"),
      first("on-error"),
      all(child(root, "backend"), "base").length,
    ]).toEqual(["base", "base", "base", 0]);
  });

  it("uses only XML's predefined entities, which format xml decodes in APIM as in the linter, and no character reference", () => {
    const entities = new Set(xml.match(/&[#a-z0-9]+;/gi) ?? []);
    expect([...entities].filter((e) => !["&lt;", "&gt;", "&amp;"].includes(e))).toEqual([]);
  });

  it("names one APIM named value, the response seal key the program creates (#18), and no other {{...}}", () => {
    expect([...new Set(xml.match(/\{\{[^}]*\}\}/g))]).toEqual(["{{aoai-gateway-response-seal-key}}"]);
  });

  it("names no URL but the accounts' own (stored responses are pinned to them) and the token audience", () => {
    const urls = new Set(xml.match(/https?:\/\/[^"'\s,]+/g) ?? []);
    const allowed = [COGNITIVE_SERVICES_RESOURCE, ...topology.accounts.map((a) => `${a.endpoint}openai`)];
    expect([...urls].filter((u) => !allowed.includes(u))).toEqual([]);
  });

  it("has the selection retry in the backend section, inside the bounded wait's polling retry (issue #21)", () => {
    const retries = withAncestors(root).filter((e) => e.node.name === "retry");
    expect(retries.map((r) => r.ancestors.map((a) => a.name))).toEqual([
      ["policies", "backend"],
      ["policies", "backend", "retry", "choose", "when"],
    ]);
  });

  it("retries at once (interval 0, first retry fast), as often as the largest route needs to reach every member", () => {
    const retry = selectionRetry(root);
    expect([retry.attrs.count, retry.attrs.interval, retry.attrs["first-fast-retry"]]).toEqual([
      String(Math.max(1, largest - 1)),
      "0",
      "true",
    ]);
  });

  it("forwards only inside the retry, always with the request body buffered", () => {
    const forwards = withAncestors(root).filter((e) => e.node.name === "forward-request");
    expect(
      forwards.map((f) => [f.ancestors.some((a) => a.name === "retry"), f.node.attrs["buffer-request-body"]]),
    ).toEqual([[true, "true"]]);
  });

  it("stops each route at its own size: the route branch records its member count", () => {
    expect(routeBranches(xml).map((w) => setVariable(w, "aoai-members-count"))).toEqual(
      topology.routes.map((r) => `@(${r.members.length})`),
    );
  });

  it("routes each deployment name in its own branch, in topology order", () => {
    expect(routeBranches(xml).map((w) => w.attrs.condition)).toEqual(
      topology.routes.map((r) => `@((string)context.Variables["aoai-deployment"] == "${r.name}")`),
    );
  });

  it("refers only to backends and pools that exist for this routing mode", () => {
    const literalIds = all(root, "set-backend-service")
      .map((s) => s.attrs["backend-id"])
      .filter((id) => id !== undefined && !id.startsWith("@"));
    const memberIds = Object.values(emittedMembers(xml)).flatMap((ms) => ms.map((m) => m.backend));
    const pools = mode === "pool" ? topology.routes.map((r) => poolId(r.name)) : [];
    const backends = topology.routes.flatMap((r) => r.members.map((m) => backendId(m.accountKey, m.deployment.name)));
    expect({
      unknownLiteral: literalIds.filter((id) => !pools.includes(id)),
      unknownMember: memberIds.filter((id) => !backends.includes(id)),
    }).toEqual({ unknownLiteral: [], unknownMember: [] });
  });

  it("answers an unknown deployment with a 404 DeploymentNotFound in the OpenAI error format", () => {
    const choose = section(xml, "inbound").children.find(
      (c) => c.name === "choose" && c.children.some((w) => ROUTE_CONDITION.test(w.attrs.condition ?? "")),
    );
    const response = child(child(choose as Node, "otherwise"), "return-response");
    const body = child(response, "set-body").text;
    expect([child(response, "set-status").attrs.code, /new JProperty\("code", "(\w+)"\)/.exec(body)?.[1]]).toEqual([
      "404",
      "DeploymentNotFound",
    ]);
    expect(body).toContain('new JProperty("error", new JObject(');
  });

  it("drops the client's api-key and Authorization before the managed identity signs the request", () => {
    const inbound = section(xml, "inbound").children;
    const at = (pred: (n: Node) => boolean) => inbound.findIndex(pred);
    const deleted = (h: string) =>
      at((n) => n.name === "set-header" && n.attrs.name === h && n.attrs["exists-action"] === "delete");
    const mi = at((n) => n.name === "authentication-managed-identity");
    expect({
      apiKeyFirst: deleted("api-key") >= 0 && deleted("api-key") < mi,
      authorizationFirst: deleted("Authorization") >= 0 && deleted("Authorization") < mi,
      resource: inbound[mi]?.attrs.resource,
    }).toEqual({ apiKeyFirst: true, authorizationFirst: true, resource: COGNITIVE_SERVICES_RESOURCE });
  });

  it("authenticates only after routing, so an unknown deployment gets its 404 without a token", () => {
    const names = section(xml, "inbound").children.map((n) => n.name);
    expect(names.indexOf("choose")).toBeLessThan(names.indexOf("authentication-managed-identity"));
  });

  it("answers a route whose every member is throttled with 429, Retry-After and an OpenAI error body", () => {
    const throttled = all(section(xml, "backend"), "return-response").find(
      (r) => child(r, "set-status").attrs.code === "429",
    );
    if (!throttled) throw new Error("no 429 return-response in backend");
    const header = (name: string) => throttled.children.find((h) => h.name === "set-header" && h.attrs.name === name);
    expect({
      retryAfter: header("Retry-After") && child(header("Retry-After") as Node, "value").text,
      code: /new JProperty\("code", "(\w+)"\)/.exec(child(throttled, "set-body").text)?.[1],
    }).toEqual({ retryAfter: '@(((int)context.Variables["aoai-client-retry-after"]).ToString())', code: "429" });
  });

  it("uses at most one cache-lookup-value per section (APIM allows one)", () => {
    const counts = root.children.map((s) => [s.name, all(s, "cache-lookup-value").length]);
    expect(counts.filter(([, n]) => (n as number) > 1)).toEqual([]);
  });

  it("tells the operator which member served, removes that for everyone else, and strips the backend's model session and per-member quota headers", () => {
    const outbound = section(xml, "outbound");
    const headers = all(outbound, "set-header");
    const set = headers.filter((h) => h.attrs["exists-action"] === "override").map((h) => h.attrs.name);
    const deleted = headers.filter((h) => h.attrs["exists-action"] === "delete").map((h) => h.attrs.name);
    expect({ set, deleted }).toEqual({
      set: [
        // the "not found" answer to a follow-up whose response the account no longer holds (#18)
        "Content-Type",
        "x-aoai-gateway-backend",
        "x-aoai-gateway-region",
        "x-aoai-gateway-subscription",
        "x-aoai-gateway-attempts",
      ],
      deleted: [
        "x-aoai-gateway-backend",
        "x-aoai-gateway-region",
        "x-aoai-gateway-subscription",
        "x-aoai-gateway-attempts",
        "azureml-model-session",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-limit-requests",
        "x-ratelimit-reset-tokens",
        "x-ratelimit-reset-requests",
      ],
    });
  });

  it("has a token limit per team that sets one, one for every other caller where the default limit holds (#18), and one token metric", () => {
    const teams = topology.consumers.filter((c) => c.tokensPerMinute !== undefined || c.tokenQuota !== undefined);
    const everyCaller =
      topology.policies.tokenLimit.enabled ||
      (topology.security.limitEveryCaller && topology.gateway.tier.tokenLimitPolicy);
    expect([all(root, "azure-openai-token-limit").length, all(root, "azure-openai-emit-token-metric").length]).toEqual([
      teams.length + (everyCaller ? 1 : 0),
      1,
    ]);
  });

  it("has no Entra ID token validation with the default clientAuth mode key", () => {
    expect(all(root, "validate-azure-ad-token")).toEqual([]);
  });
});

// ---- What differs between the modes ----------------------------------------

// ---- The shipped examples (test/fixtures/examples): reviewed snapshots and pinned counts (#17) ----------
// Keyed to the test-owned fixtures only, so a stack an adopter adds to stacks/ never makes vitest write a
// snapshot into test/ (and CI=true never fails for a missing one).

describe.each(EXAMPLE_NAMES.flatMap((stack) => MODES.map((mode) => ({ stack, mode }))))(
  "api policy of the $stack example, routing mode $mode",
  ({ stack, mode }) => {
    const xml = apiXml(stackTopology(stack, mode));

    it("matches the reviewed snapshot", async () => {
      await expect(xml).toMatchFileSnapshot(`./__snapshots__/policies/${stack}-${mode}.api-azure-openai.xml`);
    });
  },
);

describe("team token limits in the examples", () => {
  it("renders prod's two team limits, and in every example one for every other caller (#18)", () => {
    const limits = (stack: ExampleName) => all(parse(apiXml(stackTopology(stack))), "azure-openai-token-limit").length;
    expect(EXAMPLE_NAMES.map((s) => [s, limits(s)])).toEqual([
      ["dev", 1],
      ["prod", 3],
      ["staging", 1],
    ]);
  });
});

describe("pool mode", () => {
  const topology = stackTopology("prod", "pool");
  const xml = apiXml(topology);
  const root = parse(xml);
  const retry = all(root, "retry")[0];

  it("sends each route to its pool", () => {
    expect(routeBranches(xml).map((w) => child(w, "set-backend-service").attrs["backend-id"])).toEqual([
      "pool-gpt-4.1-mini",
      "pool-gpt-4o",
    ]);
  });

  it("sends a stateless call through the pool and a Responses create through the policy's own selection", () => {
    const mode = setVariable(section(xml, "inbound"), "aoai-mode");
    expect([
      mode.includes('EndsWith("responses-create")) { return "select"; }'),
      mode.includes('return "pool";'),
    ]).toEqual([true, true]);
  });

  it("keeps the route's latest 429 back-at times, one per member at most, under a key per deployment", () => {
    const key = all(retry, "set-variable").find((v) => v.attrs.name === "aoai-memory-key")?.attrs.value ?? "";
    expect(key).toContain(
      'if (mode == "pool") { return "aoai-gateway:contoso-ai:route:" + (string)context.Variables["aoai-deployment"]; }',
    );
    const remembered = all(retry, "set-variable").filter((v) => v.attrs.name === "aoai-memory");
    expect(
      remembered.map((v) => v.attrs.value.includes('int keep = (int)context.Variables["aoai-members-count"];')),
    ).toEqual([false, true]);
  });
});

describe("policy mode", () => {
  const topology = stackTopology("prod", "policy");
  const xml = apiXml(topology);
  const root = parse(xml);
  const retry = all(root, "retry")[0];

  it("sets no backend while routing: each attempt sets the candidate it picked", () => {
    expect({
      inbound: all(section(xml, "inbound"), "set-backend-service").length,
      inRetry: all(retry, "set-backend-service").map((s) => s.attrs["backend-id"] ?? `base-url ${s.attrs["base-url"]}`),
    }).toEqual({
      inbound: 0,
      inRetry: [
        '@((string)context.Variables["aoai-backend"])',
        'base-url @((string)context.Variables["aoai-account"])',
      ],
    });
  });

  it("starts each request with no member excluded", () => {
    expect(setVariable(section(xml, "inbound"), "aoai-excluded")).toBe("|");
  });

  it("sends every call through the policy's own selection", () => {
    expect(setVariable(section(xml, "inbound"), "aoai-mode")).toMatch(/return "select";\s*\}$/);
  });
});

describe("both modes", () => {
  const xml = apiXml(stackTopology("prod", "pool"));
  const root = parse(xml);
  const retry = selectionRetry(root);

  it("retries while the last attempt failed and a candidate remains", () => {
    expect(retry.attrs.condition).toBe('@((bool)context.Variables["aoai-again"])');
  });

  it("decides whether to go on before forwarding, so an error raised by the forward is retried too", () => {
    const order = retry.children.map((c) => (c.name === "set-variable" ? `${c.name}:${c.attrs.name}` : c.name));
    expect(order).toEqual([
      "set-variable:aoai-attempts",
      "set-variable:aoai-last-status",
      "set-variable:aoai-pick",
      "choose",
      "set-variable:aoai-again",
      "set-variable:aoai-memory-key",
      "choose",
      "choose",
    ]);
  });

  it("has one cache-lookup-value and one cache-store-value per section at most (Learn: once per policy section)", () => {
    const count = (name: string) =>
      (["inbound", "backend", "outbound", "on-error"] as const).map((sec) => all(section(xml, sec), name).length);
    expect([count("cache-lookup-value"), count("cache-store-value")]).toEqual([
      [0, 1, 0, 0],
      [0, 1, 0, 0],
    ]);
  });

  it("uses the external cache when one is configured and the built-in one otherwise", () => {
    const types = [...all(root, "cache-lookup-value"), ...all(root, "cache-store-value")].map(
      (c) => c.attrs["caching-type"],
    );
    expect(new Set(types)).toEqual(new Set(["prefer-external"]));
  });

  it("keeps no record of stored responses: their ids are sealed instead (#18), so nothing is cached for them", () => {
    const keys = [...all(root, "cache-lookup-value"), ...all(root, "cache-store-value")].map((c) => c.attrs.key);
    expect(keys.filter((k) => k.includes("response"))).toEqual([]);
  });

  it("answers an error raised after routing like the backend section, and an unmatched path in OpenAI's format", () => {
    const whens = child(section(xml, "on-error"), "choose").children.map((w) => w.attrs.condition);
    expect(whens).toEqual([
      '@(context.LastError.Reason == "OperationNotFound")',
      '@(context.Variables.ContainsKey("aoai-last-status"))',
    ]);
    const codes = all(section(xml, "on-error"), "return-response").map((r) => child(r, "set-status").attrs.code);
    expect(codes).toEqual(["400", "404", "429", "503"]);
  });
});

// ---- Hooks and template mechanics -------------------------------------------

describe("token hooks enabled", () => {
  const raw = validRawConfig();
  raw.backends = [backend({ deployments: [deployment()] })];
  raw.policies = {
    tokenLimit: { enabled: true, tokensPerMinute: 5000 },
    tokenMetrics: { enabled: true, namespace: "team-ai" },
  };
  const xml = apiXml(fixtureTopology(raw));
  const inbound = section(xml, "inbound");

  it("limits tokens per minute per caller (the aoai-consumer variable: subscription id or Entra client app)", () => {
    const limit = child(inbound, "azure-openai-token-limit");
    expect([
      limit.attrs["counter-key"],
      limit.attrs["tokens-per-minute"],
      limit.attrs["estimate-prompt-tokens"],
    ]).toEqual(['@((string)context.Variables["aoai-consumer"])', "5000", "false"]);
  });

  it("emits token metrics in the configured namespace with five dimensions (Microsoft's limit for custom dimensions)", () => {
    const metric = child(inbound, "azure-openai-emit-token-metric");
    expect([metric.attrs.namespace, metric.children.map((d) => d.attrs.name)]).toEqual([
      "team-ai",
      ["Consumer", "Route", "Member", "Location", "Deployment type"],
    ]);
  });

  it.skipIf(LINTER === null)(`still passes the linter${LINTER ? "" : SKIPPED_WITHOUT_SHARED}`, () => {
    const file = join(scratch, "hooks-on.xml");
    writeFileSync(file, xml);
    expect(lint(file)).toContain(`${file}: valid`);
  });
});

describe("templates", () => {
  const context = createPolicyContext(stackTopology("dev"));

  it("fail in strict mode when a field the template reads is missing", () => {
    const broken = {
      ...context,
      routes: context.routes.map(({ poolId: _drop, ...r }) => r),
    } as unknown as PolicyContext;
    expect(() => renderTemplate("api", broken)).toThrow(/"poolId" not defined/);
  });

  it("fail in strict mode when a field a partial reads is missing", () => {
    const { cacheKeyPrefix: _drop, ...rest } = context;
    expect(() => renderTemplate("api", rest as unknown as PolicyContext)).toThrow(/"cacheKeyPrefix" not defined/);
  });

  it("leave an escaped APIM named value for APIM", () => {
    const dir = mkdtempSync(join(scratch, "templates-"));
    mkdirSync(join(dir, "partials"));
    writeFileSync(
      join(dir, "partials", "named.hbs"),
      '<set-header name="x" exists-action="override"><value>\\{{backend-key}}</value></set-header>',
    );
    writeFileSync(
      join(dir, "doc.hbs"),
      '<policies><inbound>{{> named}}<set-variable name="r" value="{{apiId}}" /></inbound></policies>',
    );
    expect(renderTemplate("doc", context, dir)).toBe(
      '<policies><inbound><set-header name="x" exists-action="override"><value>{{backend-key}}</value></set-header><set-variable name="r" value="azure-openai" /></inbound></policies>',
    );
  });

  it("render one document per scope, named after scope and id", () => {
    expect(renderPolicies(stackTopology("dev")).map((p) => [p.scope, p.id, p.fileName])).toEqual([
      ["api", "azure-openai", "api-azure-openai.xml"],
    ]);
  });

  it("are read from policies/ in the project", () => {
    expect(POLICY_TEMPLATE_DIR).toBe(join(ROOT, "policies"));
  });
});
