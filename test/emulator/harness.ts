/**
 * Executed-policy test harness (issue #10): runs the policies a stack attaches
 * in `../shared/tools/apim-emulator` (Mono), offline, against simulated Azure
 * OpenAI accounts built from the same topology.
 *
 * What it derives, and from where:
 * - the policy documents: `renderPolicies(loadTopology(file))`, exactly as the
 *   `render` command (and so the program) does; the routing mode is overridden
 *   like `render --routing-mode` does, by editing the raw `routing` key;
 * - the emulator's GATEWAY.json: the real program run under Pulumi's mocks
 *   (`aoai-gateway preview --config FILE --json`, a child process) turned into
 *   the emulator's shape by the tool's own `gateway-from-preview`, so the
 *   backends, pools, breakers, API operations and subscriptions are the ones
 *   `pulumi up` sends (subscription keys become `key-<sid>`);
 * - the simulated upstreams: one account per Azure OpenAI account URL of the
 *   topology, each with exactly its deployments; optional limiters at each
 *   member's quota (TPM = capacityTpm, RPM = the member's rpm, 10-second
 *   windows as Azure evaluates them: shared/docs/domain-facts.md).
 *
 * A stack variant (stack, routing mode, config overrides) is written to a
 * temporary `Pulumi.<stack>.yaml`, and both the render and the preview read
 * that one file, so they cannot disagree.
 *
 * When the tools are absent (no `../shared` beside the checkout) or Mono is
 * missing, `emulatorSkipReason` says why and the emulator tests skip.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";
import { stringify } from "yaml";
import { loadTopology } from "../../infra/cli/common";
import { readStackConfig, stackFile, stackNames } from "../../infra/config/load";
import type { RoutingMode } from "../../infra/config/schema";
import { OPERATOR_SUBSCRIPTION_ID } from "../../infra/model/names";
import type { Topology } from "../../infra/model/topology";
import { renderPolicies, type RenderedPolicy } from "../../infra/policies/render";
import { type SimulationOptions, forEachOfferedRequest } from "../../infra/sim/simulate";

/** The repository (worktree) root. */
export const REPO_ROOT = resolve(__dirname, "..", "..");

/** Where the emulator lives: `../shared/tools/apim-emulator` beside the checkout. */
export const EMULATOR_DIR = resolve(REPO_ROOT, "..", "shared", "tools", "apim-emulator");

export const ROUTING_MODES: readonly RoutingMode[] = ["pool", "policy"];

/** What `--unavailable-mode` selects: the two readings of APIM's undocumented 503 (emulator NOTES "Still uncertain" 1). */
export type UnavailableMode = "error" | "response";
export const UNAVAILABLE_MODES: readonly UnavailableMode[] = ["error", "response"];

/**
 * Timeout of one emulator test: a run is a few seconds of Mono, but CI
 * machines are shared and the first preview compiles the program with tsx.
 */
export const EMULATOR_TEST_TIMEOUT_MS = 180_000;

/** The api-version the scenarios and the SDK test send on classic paths. */
export const API_VERSION = "2025-04-01-preview";

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/** Why the emulator tests cannot run here, or null when they can. */
export function emulatorSkipReason(): string | null {
  if (!existsSync(join(EMULATOR_DIR, "apim-emulate"))) {
    return `${EMULATOR_DIR} is absent (../shared is not beside this checkout)`;
  }
  if (!onPath("mono")) return "Mono is not installed (run ../shared/tools/apim-emulator/install.sh)";
  if (!onPath("python3")) return "python3 is not installed (gateway-from-preview needs it)";
  return null;
}

/** Stack names with a file in stacks/ (discovered, never pinned). */
export function stacks(): string[] {
  return stackNames(REPO_ROOT);
}

// ---------------------------------------------------------------- temp files

let workDir: string | undefined;

/** Set by the global setup: the folder every test process makes its scratch folder in (removed at teardown). */
export const SCRATCH_ROOT_ENV = "AOAI_GATEWAY_EMULATOR_SCRATCH";

/** A per-process scratch folder, removed when the process exits (and with the global setup's root). */
export function scratch(...parts: string[]): string {
  if (!workDir) {
    const root = process.env[SCRATCH_ROOT_ENV];
    const dir = mkdtempSync(join(root && existsSync(root) ? root : tmpdir(), "aoai-emulator-"));
    workDir = dir;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const dir = join(workDir, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

let fileCounter = 0;

/** Write `value` as JSON to a new scratch file. */
export function writeJson(value: unknown, name = "data"): string {
  const file = join(scratch("json"), `${name}-${++fileCounter}.json`);
  writeFileSync(file, JSON.stringify(value, null, 1));
  return file;
}

// ------------------------------------------------------------ stack variants

/** `aoai-gateway:<key>` values to replace in a stack's config (keys without the namespace). */
export type ConfigOverrides = Readonly<Record<string, unknown>>;

export interface Variant {
  readonly stack: string;
  readonly mode: RoutingMode;
  readonly overrides?: ConfigOverrides;
}

function variantKey(v: Variant): string {
  return `${v.stack}|${v.mode}|${JSON.stringify(v.overrides ?? {})}`;
}

/** The stack name of a stack in stacks/ or of a fixture file `Pulumi.<name>.yaml`. */
/** A short folder-safe name for a variant. */
/**
 * A variant's stack is a stack name (`stacks/Pulumi.<name>.yaml`) or the path of a test fixture
 * `.../Pulumi.<name>.yaml` (issue #22: fixtures the tests own, test/fixtures/<topic>/).
 */
function stackSource(stack: string): { file: string; name: string } {
  if (!stack.endsWith(".yaml")) return { file: stackFile(stack, REPO_ROOT), name: stack };
  return {
    file: resolve(REPO_ROOT, stack),
    name: basename(stack)
      .replace(/^Pulumi\./, "")
      .replace(/\.yaml$/, ""),
  };
}

function variantSlug(v: Variant): string {
  let h = 0;
  for (const c of JSON.stringify(v.overrides ?? {})) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `${stackSource(v.stack).name}-${v.mode}-${h.toString(16)}`;
}

/**
 * The stack file of a variant: the stack's config with `routing.mode` set as
 * `render --routing-mode` sets it and `overrides` applied, written as
 * `<scratch>/<variant>/Pulumi.<stack>.yaml` (so the preview's stack name stays the stack's).
 */
export function variantFile(v: Variant): string {
  const source = stackSource(v.stack);
  const config = structuredClone(readStackConfig(source.file));
  for (const [key, value] of Object.entries(v.overrides ?? {})) config[`aoai-gateway:${key}`] = value;
  const routing = config["aoai-gateway:routing"];
  config["aoai-gateway:routing"] = {
    ...(routing !== null && typeof routing === "object" ? routing : {}),
    mode: v.mode,
  };
  const file = join(scratch("variants", variantSlug(v)), `Pulumi.${source.name}.yaml`);
  writeFileSync(file, stringify({ config }));
  return file;
}

/** The topology of a variant (validated like `plan` and `render` do). */
export function topologyFor(stack: string, mode: RoutingMode, overrides?: ConfigOverrides): Topology {
  return loadTopology(variantFile({ stack, mode, overrides }));
}

export interface Rendered {
  readonly topology: Topology;
  readonly policies: readonly RenderedPolicy[];
  /** The written API-scope document (the emulator's `--policy`). */
  readonly apiPolicy: string;
  /** Every written document. */
  readonly files: readonly string[];
}

const rendered = new Map<string, Rendered>();

/** Render a variant's policies (as `render --routing-mode` does) and write them to scratch files. */
export function renderFor(stack: string, mode: RoutingMode, overrides?: ConfigOverrides): Rendered {
  const v: Variant = { stack, mode, overrides };
  const key = variantKey(v);
  const cached = rendered.get(key);
  if (cached) return cached;
  const topology = loadTopology(variantFile(v));
  const policies = renderPolicies(topology);
  const dir = scratch("policies", variantSlug(v));
  const files = policies.map((p) => {
    const file = join(dir, p.fileName);
    writeFileSync(file, p.xml);
    return file;
  });
  const api = policies.findIndex((p) => p.scope === "api");
  if (api < 0) throw new Error(`no API-scope policy rendered for ${key}`);
  const result: Rendered = { topology, policies, apiPolicy: files[api], files };
  rendered.set(key, result);
  return result;
}

// ------------------------------------------------------------------ gateway

export interface GatewayBackend {
  readonly id: string;
  readonly type: string;
  readonly url?: string;
  readonly circuitBreaker?: unknown;
  readonly pool?: { readonly services: readonly { id: string; priority: number; weight?: number }[] };
}

/** The emulator's GATEWAY.json (README "GATEWAY.json"), as far as the tests read it. */
export interface GatewayJson {
  readonly service: { readonly name: string; readonly region: string; readonly sku?: string };
  readonly api: {
    readonly id: string;
    readonly path: string;
    readonly subscriptionKeyParameterNames: { readonly header: string; readonly query: string };
    readonly operations: readonly { id: string; method: string; urlTemplate: string }[];
  };
  readonly backends: readonly GatewayBackend[];
  readonly subscriptions: readonly { id: string; name: string; key: string }[];
}

export interface Gateway {
  readonly file: string;
  readonly gateway: GatewayJson;
}

let buildCopy: string | undefined;

/** Newtonsoft.Json from Debian's package, where the tool's build.sh finds it. */
function newtonsoftDll(): string | undefined {
  for (const root of ["/usr/lib/mono/gac/Newtonsoft.Json", "/usr/lib/cli"]) {
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root).sort()) {
      const f = join(root, d, "Newtonsoft.Json.dll");
      if ((root.endsWith("Json") || d.startsWith("Newtonsoft.Json-")) && existsSync(f)) return f;
    }
  }
  return undefined;
}

/**
 * The tool, run as `mono <private copy>/apim-tool.exe <command>`, not through
 * its wrappers. The wrappers run build.sh first, which re-copies
 * Newtonsoft.Json.dll into the build folder on every call; a run starting
 * meanwhile loads a half-written DLL (BadImageFormatException, or Mono dies
 * with SIGSEGV), and the new file time changes the key of the compiled
 * expression cache, so concurrent runs compile into the same folder and
 * corrupt it. Each process therefore runs its own copy of the build (built
 * once by the global setup), whose files nothing rewrites.
 */
function tool(command: "emulate" | "expr-check", args: readonly string[]): [string, string[]] {
  if (!buildCopy) {
    const source =
      process.env.APIM_EMULATOR_BUILD ??
      [
        join(EMULATOR_DIR, "build"),
        join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "apim-emulator", "build"),
      ].find((d) => existsSync(join(d, "apim-tool.exe")));
    const newtonsoft = newtonsoftDll();
    if (!source || !newtonsoft) throw new Error(`the emulator is not built (run ${join(EMULATOR_DIR, "install.sh")})`);
    const copy = scratch("build");
    for (const f of ["apim-tool.exe", "Apim.Context.dll", "allowed-types.txt"]) cpSync(join(source, f), join(copy, f));
    cpSync(newtonsoft, join(copy, "Newtonsoft.Json.dll"));
    buildCopy = copy;
  }
  return ["mono", [join(buildCopy, "apim-tool.exe"), command, ...args]];
}

/**
 * Run a tool and collect its output. stdin is closed: Mono 6.8 crashed now
 * and then (SIGSEGV) when several instances ran with a piped stdin (seen with
 * 8 in parallel). Crash dumps (mono_crash.*.json) land in a scratch cwd. A run killed by a signal is retried once, since that is the
 * runtime failing, not the policy.
 */
async function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const once = () =>
    new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((done, fail) => {
      const child = spawn(command, args, { cwd: scratch("cwd"), stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
      child.on("error", (e) => {
        clearTimeout(timer);
        fail(new Error(`${command}: ${e.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
    });
  let r = await once();
  if (r.code === null) r = await once();
  if (r.code === null)
    throw new Error(`${command} ${args.join(" ")} was killed by ${r.signal}:\n${r.stderr.slice(0, 3000)}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

const gateways = new Map<string, Promise<Gateway>>();

/**
 * The emulator's GATEWAY.json for a variant: the program run under mocks
 * (`aoai-gateway preview --config <variant file> --json`), converted by
 * `gateway-from-preview`. Memoized per variant.
 */
export function gatewayFor(stack: string, mode: RoutingMode, overrides?: ConfigOverrides): Promise<Gateway> {
  const v: Variant = { stack, mode, overrides };
  const key = variantKey(v);
  let p = gateways.get(key);
  if (!p) {
    p = (async () => {
      const dir = scratch("gateways", variantSlug(v));
      const preview = await run(process.execPath, [
        join(REPO_ROOT, "bin", "aoai-gateway.cjs"),
        "preview",
        "--config",
        variantFile(v),
        "--json",
      ]);
      if (preview.code !== 0) throw new Error(`preview of ${key} failed (${preview.code}):\n${preview.stderr}`);
      const previewFile = join(dir, "preview.json");
      writeFileSync(previewFile, preview.stdout);
      const file = join(dir, "gateway.json");
      const conv = await run(join(EMULATOR_DIR, "gateway-from-preview"), [previewFile, "-o", file]);
      if (conv.code !== 0) throw new Error(`gateway-from-preview for ${key} failed (${conv.code}):\n${conv.stderr}`);
      return { file, gateway: JSON.parse(readFileSync(file, "utf8")) as GatewayJson };
    })();
    gateways.set(key, p);
  }
  return p;
}

/** The key of the gateway's first consumer subscription (`key-<sid>`, as gateway-from-preview makes them). */
export function consumerKey(gateway: GatewayJson): string {
  const first = gateway.subscriptions.find((s) => s.id !== OPERATOR_SUBSCRIPTION_ID);
  if (!first) throw new Error("the gateway has no consumer subscription (aoai-gateway:consumers is empty)");
  return first.key;
}

/** The operator subscription's key (issue #21) as gateway-from-preview makes keys: `key-<sid>`. */
export function operatorKey(): string {
  return `key-${OPERATOR_SUBSCRIPTION_ID}`;
}

// ---------------------------------------------------------------- upstreams

/** One scripted answer of a simulated deployment (README "SCENARIO.json" `responses`). */
export interface UpstreamResponse {
  readonly from?: number;
  readonly until?: number;
  readonly times?: number;
  readonly status?: number;
  readonly error?: "Timeout" | "BackendConnectionFailure";
  readonly headers?: Readonly<Record<string, string>>;
  readonly usage?: Readonly<Record<string, number>>;
  readonly body?: unknown;
}

export interface RateLimit {
  readonly tpm?: number;
  readonly rpm?: number;
  readonly windowSeconds: number;
}

/** One upstream entry: one deployment of one simulated account (the account is the URL's host). */
export interface UpstreamEntry {
  readonly url: string;
  readonly deployment: string;
  readonly region: string;
  readonly responses?: readonly UpstreamResponse[];
  readonly rateLimit?: RateLimit;
}

/** Azure evaluates per-minute quota over short windows (shared/docs/domain-facts.md); the emulator's limiter uses 10 s. */
export const LIMITER_WINDOW_SECONDS = 10;

export interface UpstreamOptions {
  /** Limiters at each member's quota (TPM = capacityTpm, RPM = rpm; provisioned: capacityTpm when known). */
  readonly limiters?: boolean;
  /** Scripted answers per member backend id (names.backendId), tried before the limiter. */
  readonly scripts?: Readonly<Record<string, readonly UpstreamResponse[]>>;
}

/**
 * The account's URL as upstreams name it: its endpoint without the trailing
 * slash. The emulator matches an upstream by the longest entry URL that is a
 * path prefix of the request URL, so any backend URL or `base-url` under the
 * account's host (`/openai`, `/openai/v1`) reaches the same simulated account.
 */
export function accountUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, "");
}

/** The simulated account's tag in the emulator's output: the host's first label, i.e. the account name. */
export function accountTag(endpoint: string): string {
  return new URL(endpoint).hostname.split(".")[0];
}

/**
 * Simulated Azure OpenAI upstreams for a topology: one account per account
 * URL, with exactly its deployments (a call for any other deployment gets
 * Azure's 404 DeploymentNotFound).
 */
/**
 * The load `simulate` offers (the same arrival times, routes and estimated tokens per request) as an emulator
 * scenario against limiters at each member's quota: what the fidelity test, the bounded-wait load test and
 * scripts/bench-bounded-wait.ts run, so executed and simulated numbers describe the same requests.
 */
export function offeredLoadScenario(topology: Topology, options: SimulationOptions, key: string): ScenarioJson {
  const tokens = options.tokensPerRequest ?? 1000;
  const requests: ScenarioRequest[] = [];
  forEachOfferedRequest(topology, options, (t, route) =>
    requests.push({
      at: Math.round(t * 1000) / 1000,
      method: "POST",
      path: `/openai/deployments/${topology.routes[route].name}/chat/completions?api-version=${API_VERSION}`,
      headers: { "api-key": key },
      body: { messages: [{ role: "user", content: "hi" }], max_tokens: 100 },
      tokens,
    }),
  );
  return { start: "2026-06-01T12:00:00Z", upstreams: upstreamsFor(topology, { limiters: true }), requests };
}

export function upstreamsFor(topology: Topology, opts: UpstreamOptions = {}): UpstreamEntry[] {
  const known = new Set(topology.routes.flatMap((r) => r.members.map((m) => m.backendId)));
  for (const id of Object.keys(opts.scripts ?? {})) {
    if (!known.has(id)) throw new Error(`scripted backend ${id} is no member of any route`);
  }
  return topology.routes.flatMap((route) =>
    route.members.map((m): UpstreamEntry => {
      const d = m.deployment;
      const script = opts.scripts?.[m.backendId];
      const limit: RateLimit | undefined =
        opts.limiters && d.capacityTpm !== null
          ? {
              tpm: d.capacityTpm,
              ...(d.rpm !== null ? { rpm: d.rpm } : {}),
              windowSeconds: LIMITER_WINDOW_SECONDS,
            }
          : undefined;
      return {
        url: accountUrl(m.accountEndpoint),
        deployment: d.name,
        // Azure sends the display name ("Sweden Central"); policies compare it without spaces, case-insensitively.
        region: m.location,
        ...(script ? { responses: script } : {}),
        ...(limit ? { rateLimit: limit } : {}),
      };
    }),
  );
}

// ---------------------------------------------------------------- scenarios

export interface ScenarioRequest {
  readonly at: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly multipart?: Readonly<Record<string, unknown>>;
  readonly tokens?: number;
  readonly label?: string;
  readonly repeat?: number;
  readonly every?: number;
  readonly capture?: Readonly<Record<string, string>>;
  readonly cookieJar?: string;
  readonly expect?: Readonly<Record<string, unknown>>;
}

/** The emulator's SCENARIO.json (README "SCENARIO.json"). */
export interface ScenarioJson {
  readonly start: string;
  readonly upstreams: readonly UpstreamEntry[];
  /** The simulated accounts name themselves in this response header. */
  readonly accountHeader?: string;
  readonly previousResponseNotFoundStatus?: number;
  readonly requests: readonly ScenarioRequest[];
}

/** One upstream call of a request in `--json` output. */
export interface EmulatedAttempt {
  readonly n: number;
  readonly t: number;
  /** Backend id, pool id, or base URL the forward-request addressed. */
  readonly backend?: string;
  /** The pool member chosen (pool backends only). */
  readonly member?: string;
  readonly url?: string;
  readonly deployment?: string;
  /** Tag of the simulated account that answered (the account name). */
  readonly account?: string;
  readonly status?: number;
  /** Timeout or BackendConnectionFailure (no HTTP response). */
  readonly error?: string;
  readonly "Retry-After"?: string;
  readonly breaker?: string;
}

export interface EmulatedRequest {
  readonly index: number;
  /** The gateway unit that ran it (`--instances`); with `--instance-regions`, unit k runs in region k mod n. */
  readonly instance?: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly label?: string;
  readonly status: number;
  readonly reason?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly attempts: readonly EmulatedAttempt[];
  readonly upstreamCalls: number;
  readonly events?: readonly string[];
  readonly lastError?: { readonly source: string; readonly reason: string; readonly message: string };
  readonly expect?: { readonly ok: boolean; readonly mismatches: readonly string[] };
}

export interface EmulatorOutput {
  readonly requests: readonly EmulatedRequest[];
  readonly summary: {
    readonly requests: number;
    readonly finalStatus: Readonly<Record<string, number>>;
    readonly upstreamCalls: number;
    readonly breakerTrips?: Readonly<Record<string, number>>;
    readonly expectations: { readonly checked: number; readonly failed: number };
    readonly [key: string]: unknown;
  };
}

/** Upstream calls that reached a deployment in an earlier rate window than a previous call to it. */
export function windowRegressions(output: EmulatorOutput): number {
  const latest = new Map<string, number>();
  let regressions = 0;
  for (const r of output.requests) {
    for (const a of r.attempts) {
      if (a.status === undefined) continue;
      const key = `${a.account ?? a.url ?? ""}|${a.deployment ?? ""}`;
      const w = Math.floor(a.t / LIMITER_WINDOW_SECONDS);
      if (w < (latest.get(key) ?? w)) regressions++;
      latest.set(key, Math.max(w, latest.get(key) ?? w));
    }
  }
  return regressions;
}

export interface RunOptions {
  readonly unavailableMode?: UnavailableMode;
  /** Gateway units (each with its own breakers and load-balancing state). Default 1. */
  readonly instances?: number;
  /** Seeds pool choice and the expressions' Guid/Random. Default 1. */
  readonly seed?: number;
  /** `separate`: each unit has its own internal cache (cache loss between units, #18). Default shared. */
  readonly instanceCache?: "shared" | "separate";
  /**
   * Gateway regions of the units (`--instance-regions`): unit i runs in region i mod n, with that region's
   * `context.Deployment.Region` and internal cache (issue #22). Default: none (the gateway JSON's region).
   */
  readonly instanceRegions?: readonly string[];
}

/**
 * Region names as APIM's `context.Deployment.Region` gives them (display names; the policy must accept ARM
 * names too, which the regions without an entry here exercise).
 */
const REGION_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  swedencentral: "Sweden Central",
  eastus2: "East US 2",
  westeurope: "West Europe",
  westus3: "West US 3",
  francecentral: "France Central",
};

export function regionDisplayName(location: string): string {
  return REGION_DISPLAY_NAMES[location] ?? location;
}

/**
 * How a stack's units run in the emulator (issue #22): a stack with several gateway regions runs at least one
 * unit per region (`--instances N --instance-regions R1,R2`, N a multiple of the regions), so requests
 * alternate between the regions as a global front door spreads them; other stacks run `instances` units in
 * the gateway JSON's region.
 */
export function unitsFor(topology: Topology, instances: number): { instances: number; instanceRegions?: string[] } {
  const regions = topology.gateway.regions.map((r) => regionDisplayName(r.location));
  if (regions.length < 2) return { instances };
  return {
    instances: Math.ceil(Math.max(instances, regions.length) / regions.length) * regions.length,
    instanceRegions: regions,
  };
}

export interface ScenarioFiles {
  /** The API-scope policy document. */
  readonly policy: string;
  readonly gateway: string;
  /** A SCENARIO.json file, or the scenario itself (written to a scratch file). */
  readonly scenario: string | ScenarioJson;
}

const primed = new Map<string, Promise<void>>();
/** The last prime of each policy text: the tool's expression cache is keyed by the text, not the file. */
const primedTexts = new Map<string, Promise<void>>();

/**
 * Compile a policy's expressions once before runs of it start in parallel:
 * runs of one process share its build copy (see tool()), whose expression cache
 * two concurrent first compilations would corrupt. A run with no requests
 * fills the cache first.
 */
function prime(policy: string, gateway: string): Promise<void> {
  let p = primed.get(policy);
  if (!p) {
    const empty: ScenarioJson = { start: "2026-01-05T12:00:00Z", upstreams: [], requests: [] };
    const scenario = writeJson(empty, "prime");
    // Two files with the same text (variants whose overrides leave the policy alone) compile into the same
    // cache entry: their first compilations run one after the other, or Mono loads a half-written DLL
    // (BadImageFormatException, seen when many variants of one stack start at once).
    const text = createHash("sha256").update(readFileSync(policy)).digest("hex");
    const before = primedTexts.get(text) ?? Promise.resolve();
    p = before
      .catch(() => undefined)
      .then(() =>
        run(...tool("emulate", ["--policy", policy, "--gateway", gateway, "--scenario", scenario, "--quiet"])),
      )
      .then((r) => {
        if (r.code !== 0) throw new Error(`apim-emulate refused ${policy} (exit ${r.code}):\n${r.stderr}${r.stdout}`);
      });
    primedTexts.set(text, p);
    primed.set(policy, p);
  }
  return p;
}

/**
 * Run `apim-emulate --json` and return its parsed output. Exit 1 (an
 * emulator-side expectation failed) still returns the output; exit 2 (the
 * policy or scenario was refused) throws with the tool's message.
 */
export async function runScenario(files: ScenarioFiles, opts: RunOptions = {}): Promise<EmulatorOutput> {
  await prime(files.policy, files.gateway);
  const scenario = typeof files.scenario === "string" ? files.scenario : writeJson(files.scenario, "scenario");
  const args = [
    "--policy",
    files.policy,
    "--gateway",
    files.gateway,
    "--scenario",
    scenario,
    "--json",
    "--seed",
    String(opts.seed ?? 1),
    "--unavailable-mode",
    opts.unavailableMode ?? "error",
    "--instances",
    String(opts.instances ?? 1),
    ...(opts.instanceCache ? ["--instance-cache", opts.instanceCache] : []),
    ...(opts.instanceRegions && opts.instanceRegions.length > 0
      ? ["--instance-regions", opts.instanceRegions.join(",")]
      : []),
  ];
  const r = await run(...tool("emulate", args));
  if (r.code !== 0 && r.code !== 1) {
    throw new Error(`apim-emulate exited ${r.code} (scenario ${scenario}):\n${r.stderr}${r.stdout.slice(0, 2000)}`);
  }
  try {
    return JSON.parse(r.stdout) as EmulatorOutput;
  } catch {
    throw new Error(`apim-emulate printed no JSON (exit ${r.code}, scenario ${scenario}):\n${r.stderr.slice(0, 3000)}`);
  }
}

/** `apim-expr-check FILE`: compile every expression and check its .NET types against APIM's allowed list. */
export async function exprCheck(file: string): Promise<{ code: number; output: string }> {
  const r = await run(...tool("expr-check", [file]));
  return { code: r.code, output: r.stdout + r.stderr };
}

// -------------------------------------------------------------------- serve

export interface ServeOptions {
  readonly policy: string;
  readonly gateway: string;
  /** Upstreams (a scenario whose requests are not run). */
  readonly scenario: string | ScenarioJson;
  /** Wall-clock backstop: the server stops by itself after this many seconds. */
  readonly maxSeconds: number;
  readonly unavailableMode?: UnavailableMode;
  /** A JSON-lines file that receives each request's record (as in `--json`). */
  readonly trace?: string;
  /** How long to wait for the port file. Default 120 s (the first start may build the tool). */
  readonly startTimeoutMs?: number;
}

export interface Served {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The server's stderr so far (one line per request). */
  log(): string;
  /** Stop this server (SIGTERM to its own pid) and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Start `apim-emulate --serve 0 --port-file F --max-seconds S` and wait for
 * its port. Always `stop()` it (afterAll); `--max-seconds` is the backstop.
 */
export async function serve(opts: ServeOptions): Promise<Served> {
  await prime(opts.policy, opts.gateway);
  const dir = scratch("serve", String(++fileCounter));
  const portFile = join(dir, "port");
  const scenario = typeof opts.scenario === "string" ? opts.scenario : writeJson(opts.scenario, "upstreams");
  const [command, args] = tool("emulate", [
    "--serve",
    "0",
    "--port-file",
    portFile,
    "--max-seconds",
    String(opts.maxSeconds),
    "--policy",
    opts.policy,
    "--gateway",
    opts.gateway,
    "--scenario",
    scenario,
    "--unavailable-mode",
    opts.unavailableMode ?? "error",
    ...(opts.trace ? ["--trace", opts.trace] : []),
  ]);
  const child = spawn(command, args, { cwd: scratch("cwd"), stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  let alive = true;
  void exited.then(() => (alive = false));
  const pid = child.pid;
  if (pid === undefined) throw new Error("apim-emulate --serve did not start");
  const stop = async (): Promise<void> => {
    if (alive) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (existsSync(portFile)) {
      const text = readFileSync(portFile, "utf8").trim();
      if (/^\d+$/.test(text)) {
        const port = Number(text);
        return { url: `http://127.0.0.1:${port}`, port, pid, log: () => log, stop };
      }
    }
    if (!alive) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`apim-emulate --serve did not report a port:\n${log}`);
}
