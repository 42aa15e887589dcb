/**
 * Scenario templates (test/emulator/scenarios/*.json) and their checks.
 *
 * A template is written once and expanded per stack: it names roles, not
 * backends. test/emulator/scenarios/README.md documents the form; in short:
 *
 * - `route` picks the route the scenario exercises (`{route}`): the first
 *   route, by name, that meets every condition, preferring routes whose top
 *   priority group is smallest (a PTU-first route shows priority failover
 *   best). Roles then name members: `primary` (the route's first member: top
 *   priority, first account), `last` (the route's last member), `others` (the rest), `members` (all), `top`
 *   (the top priority group), `sibling` (a member of another route,
 *   `{siblingRoute}`, on the primary's account, in that route's top group),
 *   `siblingMembers` (all of that route's members).
 * - `scripts` give a role's members scripted answers (the emulator's
 *   `responses`); a header value written as a list gives the role's k-th
 *   member the k-th value (the last repeats).
 * - `requests` are the emulator's requests with placeholders `{route}`,
 *   `{siblingRoute}`, `{apiVersion}`, `{key}` (the first consumer's key),
 *   `{key2}` (the second consumer's, for attacks of one team on another, #18)
 *   and `{operatorKey}` (the operator subscription's, #21); the consumer key is sent as
 *   `api-key` unless `noKey`; `forEachRoute` repeats a request for every route
 *   (label `<label>:<route>`).
 * - `load` generates, per route with known TPM, `requestsPerRoute` chat calls
 *   spread evenly over `seconds`, each costing the tokens that make the route's
 *   traffic `fraction` of its usable TPM (label `load:<route>`).
 * - `expect` is a list of checks, each on the requests whose label is `label`
 *   or starts with `label:` (see Check).
 */
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { RoutingMode } from "../../infra/config/schema";
import { OPERATOR_SUBSCRIPTION_ID } from "../../infra/model/names";
import type { RouteMember, RouteModel, Topology } from "../../infra/model/topology";
import {
  API_VERSION,
  type ConfigOverrides,
  type UnavailableMode,
  consumerKey,
  gatewayFor,
  operatorKey,
  renderFor,
  runScenario,
  writeJson,
  type GatewayJson,
  type EmulatedRequest,
  type EmulatorOutput,
  type ScenarioJson,
  type ScenarioRequest,
  type UpstreamResponse,
  accountTag,
  unitsFor,
  upstreamsFor,
} from "./harness";

export const SCENARIO_DIR = join(__dirname, "scenarios");

export type Role = "primary" | "last" | "others" | "members" | "top" | "sibling" | "siblingMembers";

export interface RouteSelector {
  /** At least this many members. */
  readonly minMembers?: number;
  /** At least this many members in the top priority group. */
  readonly minTopMembers?: number;
  /** The primary's account also serves another route from that route's top priority group. */
  readonly sharedAccount?: boolean;
}

/** A scripted answer; header values may be lists (one per member of the role). */
export interface ResponseTemplate extends Omit<UpstreamResponse, "headers"> {
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export interface RequestTemplate extends ScenarioRequest {
  readonly forEachRoute?: boolean;
  /** Send no subscription key. */
  readonly noKey?: boolean;
}

export interface LoadTemplate {
  readonly fraction: number;
  readonly requestsPerRoute: number;
  readonly seconds: number;
}

/**
 * One check on the requests a label selects. Each field present is checked:
 * - status: every request's final status;
 * - headers: exact response header values (null: absent);
 * - json: values at dotted paths of the JSON body;
 * - jsonMentionsEveryRoute: the string at this dotted path names every route;
 * - modelIdsAreRoutes: body `data[].id` are exactly the route names;
 * - upstreamCalls: every request made exactly this many upstream calls;
 * - servedBy: the last upstream call of every request reached a member of this role
 *   (`ownRoute`: of the route the request's label names);
 * - calls / callsAtLeast: upstream calls to the role's members (with `outcome`, a
 *   status or error name: only those) number exactly / at least `count`; `calls.perRegion`: `count` per
 *   gateway region (a stack with R regions keeps R sets of breakers and caches, issue #22: R x count);
 * - everyAttemptOk: every upstream call answered 200 (no hidden failures);
 * - weightTolerance: the share of requests each top-group member served is within
 *   this absolute distance of its weight's share, and lower groups served none;
 * - sameAccountAs: the last upstream call reached the account that served the
 *   (single) request with this label;
 * - retryAfterBetween: the Retry-After header is an integer in [min, max];
 * - servedRateAtLeast: per label, the share of requests answered 200 is at least this;
 * - waitedBetween: the last upstream call of every request happened this many seconds after
 *   the request arrived, within [min, max] (the bounded wait, issue #21).
 * - bodyMatches / bodyLacks: the response body matches / does not match this regular expression;
 * - backendsIn: every upstream call addressed a member of this role (the pool's chosen member, or the
 *   member backend the policy picked): the gateway routed to the route the scenario means (#18).
 */
export interface Check {
  readonly label: string;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly json?: Readonly<Record<string, unknown>>;
  readonly jsonMentionsEveryRoute?: string;
  readonly modelIdsAreRoutes?: boolean;
  readonly upstreamCalls?: number;
  readonly servedBy?: Role | "ownRoute";
  readonly calls?: {
    readonly role: Role;
    readonly outcome?: string;
    readonly count: number;
    readonly perRegion?: boolean;
  };
  readonly callsAtLeast?: { readonly role: Role; readonly outcome?: string; readonly count: number };
  readonly everyAttemptOk?: boolean;
  readonly weightTolerance?: number;
  readonly sameAccountAs?: string;
  readonly retryAfterBetween?: readonly [number, number];
  readonly servedRateAtLeast?: number;
  readonly waitedBetween?: readonly [number, number];
  readonly bodyMatches?: string;
  readonly bodyLacks?: string;
  readonly backendsIn?: Role;
}

export interface ScenarioTemplate {
  /** The behaviour; the test's name. */
  readonly title: string;
  /** Why the scenario looks the way it does (free text, for readers). */
  readonly why?: string;
  readonly route?: RouteSelector;
  /** Stack config overrides (`aoai-gateway:<key>` values), e.g. `policies`. */
  readonly config?: ConfigOverrides;
  readonly limiters?: boolean;
  readonly scripts?: Readonly<Partial<Record<Role, readonly ResponseTemplate[]>>>;
  /**
   * The template checks what one gateway remembers between its requests (issue #22): on a stack with several
   * gateway regions its requests all go to the first region, each followed by a gateway-answered
   * `GET /openai/models` (label `other-region`) for every other region's unit, as one client's traffic stays
   * with its nearest gateway while others' lands elsewhere. Requests must not use `repeat`. Default false.
   */
  readonly sameRegion?: boolean;
  /** Gateway units: a number, or `capacity` for the stack's APIM units. Default 1. */
  readonly instances?: number | "capacity";
  /** `separate`: each unit its own internal cache (what a second unit or region sees). Default shared. */
  readonly instanceCache?: "shared" | "separate";
  readonly load?: LoadTemplate;
  readonly requests?: readonly RequestTemplate[];
  readonly expect: readonly Check[];
}

export interface NamedTemplate {
  /** File name without `.json`. */
  readonly name: string;
  readonly template: ScenarioTemplate;
}

/** Every scenario file, sorted by name. */
export function loadScenarios(dir: string = SCENARIO_DIR): NamedTemplate[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({
      name: basename(f, ".json"),
      template: JSON.parse(readFileSync(join(dir, f), "utf8")) as ScenarioTemplate,
    }));
}

/** The roles bound for one stack. */
export interface Binding {
  readonly route: RouteModel;
  readonly siblingRoute?: RouteModel;
  readonly roles: Readonly<Record<Role, readonly RouteMember[]>>;
}

function topGroup(route: RouteModel): RouteMember[] {
  return route.members.filter((m) => m.priority === route.members[0].priority);
}

function siblingOf(topology: Topology, route: RouteModel): { route: RouteModel; member: RouteMember } | undefined {
  const primary = route.members[0];
  for (const other of topology.routes) {
    if (other.name === route.name) continue;
    const member = topGroup(other).find((m) => m.accountKey === primary.accountKey);
    if (member) return { route: other, member };
  }
  return undefined;
}

/** Bind a selector to a stack's routes, or explain why no route fits. */
export function bind(topology: Topology, selector: RouteSelector = {}): Binding | string {
  const fits = topology.routes
    .filter((r) => r.members.length >= (selector.minMembers ?? 1))
    .filter((r) => topGroup(r).length >= (selector.minTopMembers ?? 1))
    .filter((r) => !selector.sharedAccount || siblingOf(topology, r) !== undefined)
    .sort((a, b) => topGroup(a).length - topGroup(b).length || a.name.localeCompare(b.name));
  const route = fits[0];
  if (!route) return `no route fits ${JSON.stringify(selector)}`;
  const sibling = siblingOf(topology, route);
  return {
    route,
    siblingRoute: sibling?.route,
    roles: {
      primary: [route.members[0]],
      last: [route.members[route.members.length - 1]],
      others: route.members.slice(1),
      members: route.members,
      top: topGroup(route),
      sibling: sibling ? [sibling.member] : [],
      siblingMembers: sibling ? sibling.route.members : [],
    },
  };
}

function substitute(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === "string") return value.replace(/\{(\w+)\}/g, (all, name: string) => vars[name] ?? all);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

/** The member that answered an upstream call, from its account and deployment. */
export function memberIndex(topology: Topology): (account?: string, deployment?: string) => RouteMember | undefined {
  const byKey = new Map<string, RouteMember>();
  for (const m of topology.routes.flatMap((r) => r.members)) {
    byKey.set(`${accountTag(m.accountEndpoint)}|${m.deployment.name}`, m);
  }
  return (account, deployment) => byKey.get(`${account ?? ""}|${deployment ?? ""}`);
}

export interface Expanded {
  readonly scenario: ScenarioJson;
  readonly instances: number;
}

/** The emulator scenario a template stands for on one stack. */
export function expand(
  t: ScenarioTemplate,
  topology: Topology,
  binding: Binding,
  key: string,
  otherKeys: Readonly<Record<string, string>> = {},
): Expanded {
  const scripts: Record<string, UpstreamResponse[]> = {};
  for (const [role, entries] of Object.entries(t.scripts ?? {}) as [Role, readonly ResponseTemplate[]][]) {
    binding.roles[role].forEach((m, k) => {
      const own = entries.map((e): UpstreamResponse => {
        const { headers, ...rest } = e;
        if (!headers) return rest;
        return {
          ...rest,
          headers: Object.fromEntries(
            Object.entries(headers).map(([h, v]) => [h, typeof v === "string" ? v : v[Math.min(k, v.length - 1)]]),
          ),
        };
      });
      scripts[m.backendId] = [...(scripts[m.backendId] ?? []), ...own];
    });
  }
  const vars = {
    // Member backend ids, for the operator's pinned-member header (issue #21).
    primaryMember: binding.route.members[0].backendId,
    lastMember: binding.route.members[binding.route.members.length - 1].backendId,
    operatorKey: operatorKey(),
    route: binding.route.name,
    siblingRoute: binding.siblingRoute?.name ?? "",
    apiVersion: API_VERSION,
    key,
    ...otherKeys,
  };
  const requests: ScenarioRequest[] = [];
  for (const r of t.requests ?? []) {
    const { forEachRoute, noKey, ...rest } = r;
    const withKey: ScenarioRequest = noKey ? rest : { ...rest, headers: { "api-key": "{key}", ...rest.headers } };
    if (forEachRoute) {
      for (const route of topology.routes) {
        const one = substitute(withKey, { ...vars, route: route.name }) as ScenarioRequest;
        requests.push({ ...one, label: `${r.label ?? "request"}:${route.name}` });
      }
    } else {
      requests.push(substitute(withKey, vars) as ScenarioRequest);
    }
  }
  const regions = topology.gateway.regions.length;
  if (t.sameRegion && regions > 1) {
    // Units alternate over the regions request by request: after each of the template's requests, one
    // gateway-answered request per other region keeps the template's requests in the first region.
    const own = requests.splice(0, requests.length);
    if (own.some((r) => (r.repeat ?? 1) > 1)) throw new Error(`${t.title}: sameRegion templates cannot use repeat`);
    for (const r of [...own].sort((a, b) => a.at - b.at)) {
      requests.push(r);
      for (let k = 1; k < regions; k++) {
        requests.push({
          at: r.at,
          method: "GET",
          path: "/openai/models",
          headers: { "api-key": key },
          label: "other-region",
        });
      }
    }
  }
  if (t.load) {
    const { fraction, requestsPerRoute, seconds } = t.load;
    const loaded = topology.routes.filter((r) => r.usableTpm > 0);
    const every = seconds / requestsPerRoute;
    loaded.forEach((route, i) => {
      requests.push({
        at: (every * i) / loaded.length,
        method: "POST",
        path: `/openai/deployments/${route.name}/chat/completions?api-version=${API_VERSION}`,
        headers: { "api-key": key },
        body: { messages: [{ role: "user", content: "load" }], max_tokens: 100 },
        tokens: Math.round((fraction * route.usableTpm * seconds) / 60 / requestsPerRoute),
        label: `load:${route.name}`,
        repeat: requestsPerRoute,
        every,
      });
    });
  }
  return {
    scenario: {
      start: "2026-01-05T12:00:00Z",
      upstreams: upstreamsFor(topology, { limiters: t.limiters ?? false, scripts }),
      requests,
    },
    instances: t.instances === "capacity" ? topology.gateway.capacity : (t.instances ?? 1),
  };
}

// -------------------------------------------------------------------- checks

function selected(output: EmulatorOutput, label: string): EmulatedRequest[] {
  return output.requests.filter((r) => r.label === label || (r.label ?? "").startsWith(`${label}:`));
}

function header(r: EmulatedRequest, name: string): string | undefined {
  const hit = Object.entries(r.headers).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return hit?.[1];
}

function jsonBody(r: EmulatedRequest): unknown {
  try {
    return JSON.parse(r.body ?? "");
  } catch {
    return undefined;
  }
}

function at(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function outcome(a: { status?: number; error?: string }): string {
  return a.error ?? String(a.status ?? "none");
}

/** One line of evidence per request: what the client got, and every upstream call. */
export function describeRequest(r: EmulatedRequest): string {
  const calls = r.attempts
    .map((a) => `${a.member ?? a.backend ?? "?"}@${a.account ?? "-"}[${a.deployment ?? "-"}]:${outcome(a)}`)
    .join(", ");
  const ra = header(r, "Retry-After");
  return `#${r.index} t=${r.at} ${r.method} ${r.path} [${r.label ?? ""}] -> ${r.status}${ra !== undefined ? ` Retry-After=${ra}` : ""} | ${calls || "no upstream call"}`;
}

/** Every failed check, with the requests that show it; empty when the run behaved. */
export function check(t: ScenarioTemplate, output: EmulatorOutput, topology: Topology, binding: Binding): string[] {
  const failures: string[] = [];
  const member = memberIndex(topology);
  const lastMember = (r: EmulatedRequest) => {
    const a = r.attempts[r.attempts.length - 1];
    return a ? member(a.account, a.deployment) : undefined;
  };
  const inRole = (role: Role) => new Set(binding.roles[role].map((m) => m.backendId));
  for (const c of t.expect) {
    const rs = selected(output, c.label);
    const fail = (what: string, bad: readonly EmulatedRequest[] = []) =>
      failures.push([`[${c.label}] ${what}`, ...bad.slice(0, 5).map((r) => `    ${describeRequest(r)}`)].join("\n"));
    if (rs.length === 0) {
      fail("no request has this label");
      continue;
    }
    if (c.status !== undefined) {
      const bad = rs.filter((r) => r.status !== c.status);
      if (bad.length > 0) fail(`${bad.length} of ${rs.length} requests did not answer ${c.status}`, bad);
    }
    for (const [name, want] of Object.entries(c.headers ?? {})) {
      const bad = rs.filter((r) => (header(r, name) ?? null) !== want);
      if (bad.length > 0) {
        fail(
          `header ${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(header(bad[0], name) ?? null)}`,
          bad,
        );
      }
    }
    for (const [path, want] of Object.entries(c.json ?? {})) {
      const bad = rs.filter((r) => JSON.stringify(at(jsonBody(r), path)) !== JSON.stringify(want));
      if (bad.length > 0) {
        fail(`body ${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(at(jsonBody(bad[0]), path))}`, bad);
      }
    }
    if (c.jsonMentionsEveryRoute !== undefined) {
      const path = c.jsonMentionsEveryRoute;
      const bad = rs.filter((r) => {
        const text = at(jsonBody(r), path);
        return typeof text !== "string" || topology.routes.some((route) => !text.includes(route.name));
      });
      if (bad.length > 0)
        fail(`body ${path} does not name every route (${topology.routes.map((r) => r.name).join(", ")})`, bad);
    }
    if (c.modelIdsAreRoutes) {
      const want = topology.routes.map((r) => r.name).sort();
      const bad = rs.filter((r) => {
        const data = at(jsonBody(r), "data");
        const ids = Array.isArray(data)
          ? data
              .map((d) => at(d, "id"))
              .map(String)
              .sort()
          : null;
        return JSON.stringify(ids) !== JSON.stringify(want);
      });
      if (bad.length > 0)
        fail(`data[].id is not exactly the routes ${want.join(", ")}; body: ${bad[0].body?.slice(0, 300)}`, bad);
    }
    if (c.upstreamCalls !== undefined) {
      const bad = rs.filter((r) => r.upstreamCalls !== c.upstreamCalls);
      if (bad.length > 0)
        fail(`${bad.length} of ${rs.length} requests did not make exactly ${c.upstreamCalls} upstream calls`, bad);
    }
    if (c.servedBy !== undefined) {
      const role = c.servedBy;
      const bad = rs.filter((r) => {
        const m = lastMember(r);
        if (!m) return true;
        if (role === "ownRoute") {
          const routeName = (r.label ?? "").split(":").pop();
          return (
            m.deployment.name !== routeName ||
            !topology.routes.some((x) => x.name === routeName && x.members.includes(m))
          );
        }
        return !inRole(role).has(m.backendId);
      });
      if (bad.length > 0) fail(`${bad.length} of ${rs.length} requests were not served by ${role}`, bad);
    }
    for (const [kind, spec] of [
      ["exactly", c.calls],
      ["at least", c.callsAtLeast],
    ] as const) {
      if (!spec) continue;
      const ids = inRole(spec.role);
      const hits = rs.filter((r) =>
        r.attempts.some((a) => {
          const m = member(a.account, a.deployment);
          return m && ids.has(m.backendId) && (spec.outcome === undefined || outcome(a) === spec.outcome);
        }),
      );
      const count = rs
        .flatMap((r) => r.attempts)
        .filter((a) => {
          const m = member(a.account, a.deployment);
          return m && ids.has(m.backendId) && (spec.outcome === undefined || outcome(a) === spec.outcome);
        }).length;
      const regions = "perRegion" in spec && spec.perRegion ? Math.max(1, topology.gateway.regions.length) : 1;
      const expected = spec.count * regions;
      const ok = kind === "exactly" ? count === expected : count >= expected;
      if (!ok) {
        fail(
          `${count} upstream calls to ${spec.role} (${[...ids].join(", ")})${spec.outcome ? ` answered ${spec.outcome}` : ""}, expected ${kind} ${expected}${regions > 1 ? ` (${spec.count} in each of ${regions} gateway regions)` : ""}`,
          hits.length > 0 ? hits : rs,
        );
      }
    }
    if (c.everyAttemptOk) {
      const bad = rs.filter((r) => r.attempts.some((a) => a.status !== 200));
      if (bad.length > 0)
        fail(`${bad.length} of ${rs.length} requests had an upstream call that did not answer 200`, bad);
    }
    if (c.weightTolerance !== undefined) {
      const top = binding.roles.top;
      const total = top.reduce((s, m) => s + m.weight, 0);
      const served = new Map<string, number>();
      for (const r of rs) {
        const m = lastMember(r);
        if (m) served.set(m.backendId, (served.get(m.backendId) ?? 0) + 1);
      }
      const lines: string[] = [];
      for (const m of binding.route.members) {
        const want = top.includes(m) ? m.weight / total : 0;
        const got = (served.get(m.backendId) ?? 0) / rs.length;
        const ok = top.includes(m) ? Math.abs(got - want) <= c.weightTolerance : got === 0;
        if (!ok)
          lines.push(`${m.backendId}: served ${(got * 100).toFixed(1)}%, weight share ${(want * 100).toFixed(1)}%`);
      }
      if (lines.length > 0) fail(`shares outside ±${c.weightTolerance * 100} points: ${lines.join("; ")}`);
    }
    if (c.sameAccountAs !== undefined) {
      const origin = selected(output, c.sameAccountAs);
      const want = origin.length === 1 ? origin[0].attempts[origin[0].attempts.length - 1]?.account : undefined;
      if (!want) fail(`no single request labelled ${c.sameAccountAs} reached an account`, origin);
      else {
        const bad = rs.filter((r) => r.attempts[r.attempts.length - 1]?.account !== want);
        if (bad.length > 0)
          fail(
            `${bad.length} of ${rs.length} requests did not reach ${want}, the account that served ${c.sameAccountAs}`,
            bad,
          );
      }
    }
    if (c.retryAfterBetween !== undefined) {
      const [min, max] = c.retryAfterBetween;
      const bad = rs.filter((r) => {
        const v = header(r, "Retry-After");
        return v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max;
      });
      if (bad.length > 0) fail(`Retry-After is not an integer in [${min}, ${max}]`, bad);
    }
    if (c.waitedBetween !== undefined) {
      const [min, max] = c.waitedBetween;
      const bad = rs.filter((r) => {
        const last = r.attempts[r.attempts.length - 1];
        const waited = last ? last.t - r.at : Number.NaN;
        return !(waited >= min - 1e-6 && waited <= max + 1e-6);
      });
      if (bad.length > 0) fail(`the last upstream call was not ${min}-${max} s after the request arrived`, bad);
    }
    for (const [kind, pattern] of [
      ["matches", c.bodyMatches],
      ["lacks", c.bodyLacks],
    ] as const) {
      if (pattern === undefined) continue;
      const re = new RegExp(pattern);
      const bad = rs.filter((r) => re.test(r.body ?? "") !== (kind === "matches"));
      if (bad.length > 0) {
        fail(
          `${bad.length} of ${rs.length} bodies ${kind === "matches" ? "do not match" : "match"} /${pattern}/; body: ${bad[0].body?.slice(0, 300)}`,
          bad,
        );
      }
    }
    if (c.backendsIn !== undefined) {
      const ids = inRole(c.backendsIn);
      const bad = rs.filter((r) => r.attempts.some((a) => !ids.has(a.member ?? a.backend ?? "")));
      if (bad.length > 0) fail(`${bad.length} of ${rs.length} requests called a backend outside ${c.backendsIn}`, bad);
    }
    if (c.servedRateAtLeast !== undefined) {
      const byLabel = new Map<string, EmulatedRequest[]>();
      for (const r of rs) byLabel.set(r.label ?? "", [...(byLabel.get(r.label ?? "") ?? []), r]);
      for (const [label, group] of byLabel) {
        const bad = group.filter((r) => r.status !== 200);
        const rate = (group.length - bad.length) / group.length;
        if (rate < c.servedRateAtLeast) {
          const statuses = [...new Set(bad.map((r) => r.status))].map(
            (s) => `${s} x${bad.filter((r) => r.status === s).length}`,
          );
          fail(
            `${label}: ${(rate * 100).toFixed(2)}% of ${group.length} requests answered 200, expected at least ${c.servedRateAtLeast * 100}% (others: ${statuses.join(", ")})`,
            bad,
          );
        }
      }
    }
  }
  return failures;
}

/**
 * The gateway with the operator subscription (#21 creates it in the program; until a stack's preview has it,
 * the scenarios stand it in with the key gateway-from-preview would give it), and the keys templates name:
 * `key2` (the second consumer's, when there is one) and `operatorKey`.
 */
function withOperator(gateway: GatewayJson, file: string): { file: string; keys: Record<string, string> } {
  const operator = {
    id: OPERATOR_SUBSCRIPTION_ID,
    name: "aoai-gateway operator",
    key: `key-${OPERATOR_SUBSCRIPTION_ID}`,
  };
  const consumers = gateway.subscriptions.filter((s) => s.id !== OPERATOR_SUBSCRIPTION_ID);
  const keys: Record<string, string> = {
    operatorKey: operator.key,
    ...(consumers[1] ? { key2: consumers[1].key } : {}),
  };
  if (gateway.subscriptions.some((s) => s.id === OPERATOR_SUBSCRIPTION_ID)) return { file, keys };
  const raw = JSON.parse(readFileSync(file, "utf8")) as { subscriptions: unknown[] };
  return { file: writeJson({ ...raw, subscriptions: [...raw.subscriptions, operator] }, "gateway-operator"), keys };
}

/** Render, derive the gateway, expand, run and check one template on one stack variant. */
export async function runTemplate(
  t: ScenarioTemplate,
  stack: string,
  mode: RoutingMode,
  unavailableMode: UnavailableMode,
): Promise<{ failures: string[]; output: EmulatorOutput }> {
  const { topology, apiPolicy } = renderFor(stack, mode, t.config);
  const binding = bind(topology, t.route);
  if (typeof binding === "string") throw new Error(`${stack}: ${binding}`);
  const gateway = await gatewayFor(stack, mode, t.config);
  const { file, keys } = withOperator(gateway.gateway, gateway.file);
  const { scenario, instances } = expand(t, topology, binding, consumerKey(gateway.gateway), keys);
  const files = { policy: apiPolicy, gateway: file };
  const opts = { unavailableMode, ...unitsFor(topology, instances), seed: 1, instanceCache: t.instanceCache };
  try {
    const output = await runScenario({ ...files, scenario }, opts);
    return { failures: check(t, output, topology, binding), output };
  } catch (e) {
    // A request that should have captured a value (a Responses id) failed, so the emulator cannot build
    // the requests that use it: run the ones it can and report those, instead of only the tool's refusal.
    if (!/is used before any request captured it/.test(String(e))) throw e;
    const sendable = scenario.requests.filter((r) => !JSON.stringify(r).includes("${"));
    const output = await runScenario({ ...files, scenario: { ...scenario, requests: sendable } }, opts);
    const failures = check(t, output, topology, binding).filter((f) => !f.includes("no request has this label"));
    return {
      failures: [
        `a capturing request did not return the value later requests use; they were not sent (${String(e).split("\n")[1] ?? ""})`,
        ...failures,
      ],
      output,
    };
  }
}
