/**
 * `aoai-gateway smoke` (issue #21): after `up`, call the running gateway once per route (classic and v1 paths,
 * and the Responses API for chat models) and once per member through the operator-only pinned-member header
 * (`x-aoai-gateway-member`, lead's decision 2), and say for each failing member what to do. Real first deploys
 * fail per member: a role assignment not yet propagated (401/403 from that member only), a deployment still
 * provisioning (404), a region without the model, DNS resolving publicly (403 or no connection); a route-level
 * call can succeed while one member fails for a share of the traffic, and 401/403 do not trip breakers.
 *
 * The call list is pure (smokeCalls); running it needs only `fetch`, with a bounded timeout per call and at most
 * SMOKE_ATTEMPTS attempts (one short pause for a 429 or a 5xx, never a long Retry-After).
 */
import { API_PATH, CLIENT_API_VERSION, MEMBER_HEADER } from "../model/names";
import type { Topology } from "../model/topology";

/** The operation a model's deployment answers (its name decides: catalog models are chat models). */
export type SmokeOperation = "chat" | "embeddings" | "transcription" | "speech" | "images" | "responses";

/** Attempts per call: one retry after a 429 or 5xx, no more (a smoke test must not hide a failing member). */
export const SMOKE_ATTEMPTS = 2;
/** Longest pause before that retry, seconds (a longer Retry-After is reported, not waited for). */
export const SMOKE_MAX_PAUSE_SECONDS = 5;
/** Default timeout of one call, seconds. */
export const SMOKE_TIMEOUT_SECONDS = 30;

export function operationFor(model: string): Exclude<SmokeOperation, "responses"> {
  const m = model.toLowerCase();
  if (m.includes("embedding")) return "embeddings";
  if (m.includes("whisper") || m.includes("transcribe")) return "transcription";
  if (m.includes("tts")) return "speech";
  if (m.includes("dall-e") || m.includes("gpt-image")) return "images";
  return "chat";
}

/** Reasoning models refuse max_tokens; they take max_completion_tokens. */
function reasoning(model: string): boolean {
  return /^(o\d|gpt-5)/i.test(model);
}

const PATHS: Record<Exclude<SmokeOperation, "responses">, string> = {
  chat: "chat/completions",
  embeddings: "embeddings",
  transcription: "audio/transcriptions",
  speech: "audio/speech",
  images: "images/generations",
};

/** A 0.1 s silent 8 kHz mono WAV: the smallest valid audio a transcription accepts. */
function silentWav(): Uint8Array {
  const samples = 800;
  const buf = new ArrayBuffer(44 + samples * 2);
  const v = new DataView(buf);
  const text = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  v.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 8000, true);
  v.setUint32(28, 16000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, "data");
  v.setUint32(40, samples * 2, true);
  return new Uint8Array(buf);
}

export type SmokeBody = { readonly json: Record<string, unknown> } | { readonly multipart: Record<string, string> };

export interface SmokeCall {
  /** "route": the route as clients call it; "member": one member, pinned with the operator header. */
  readonly kind: "route" | "member";
  readonly route: string;
  /** The member's APIM backend id (member calls only). */
  readonly member?: string;
  /** Where the member runs, for the report: `<subscription alias>/<region>`. */
  readonly where?: string;
  readonly account?: string;
  readonly operation: SmokeOperation;
  /** "classic" (/deployments/{name}/...?api-version=) or "v1" (/v1/..., model in the body). */
  readonly path: "classic" | "v1";
  /** Path and query under the gateway URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: SmokeBody;
}

function bodyFor(operation: SmokeOperation, model: string, deployment: string, v1: boolean): SmokeBody {
  const named: Record<string, string> = v1 ? { model: deployment } : {};
  switch (operation) {
    case "embeddings":
      return { json: { ...named, input: "aoai-gateway smoke" } };
    case "transcription":
      return { multipart: { ...named, response_format: "json" } };
    case "speech":
      return { json: { ...named, input: "ok", voice: "alloy" } };
    case "images":
      return { json: { ...named, prompt: "a small grey square", n: 1, size: "1024x1024" } };
    case "responses":
      return { json: { model: deployment, input: "Reply with OK.", max_output_tokens: 16, store: false } };
    case "chat":
      return {
        json: {
          ...named,
          messages: [{ role: "user", content: "Reply with OK." }],
          ...(reasoning(model) ? { max_completion_tokens: 64 } : { max_tokens: 5 }),
        },
      };
  }
}

/**
 * Every call smoke makes, in order: per route the classic path, the v1 path and (chat models) a Responses create;
 * then per member the classic path pinned to it. Stored responses are not created (`store: false`).
 */
export function smokeCalls(topology: Topology): SmokeCall[] {
  const calls: SmokeCall[] = [];
  const classic = (route: string, operation: Exclude<SmokeOperation, "responses">) =>
    `/${API_PATH}/deployments/${route}/${PATHS[operation]}?api-version=${CLIENT_API_VERSION}`;
  for (const route of topology.routes) {
    const model = route.members[0]?.deployment.model ?? route.name;
    const operation = operationFor(model);
    calls.push({
      kind: "route",
      route: route.name,
      operation,
      path: "classic",
      url: classic(route.name, operation),
      headers: {},
      body: bodyFor(operation, model, route.name, false),
    });
    calls.push({
      kind: "route",
      route: route.name,
      operation,
      path: "v1",
      url: `/${API_PATH}/v1/${PATHS[operation]}`,
      headers: {},
      body: bodyFor(operation, model, route.name, true),
    });
    if (operation === "chat") {
      calls.push({
        kind: "route",
        route: route.name,
        operation: "responses",
        path: "v1",
        url: `/${API_PATH}/v1/responses`,
        headers: {},
        body: bodyFor("responses", model, route.name, true),
      });
    }
  }
  for (const route of topology.routes) {
    for (const m of route.members) {
      const operation = operationFor(m.deployment.model);
      calls.push({
        kind: "member",
        route: route.name,
        member: m.backendId,
        where: `${m.subscription.alias}/${m.location}`,
        account: m.accountKey,
        operation,
        path: "classic",
        url: classic(route.name, operation),
        headers: { [MEMBER_HEADER]: m.backendId },
        body: bodyFor(operation, m.deployment.model, route.name, false),
      });
    }
  }
  return calls;
}

export interface SmokeResult {
  readonly call: SmokeCall;
  /** HTTP status, or null when no response came (timeout, connection failure). */
  readonly status: number | null;
  readonly ok: boolean;
  readonly attempts: number;
  readonly ms: number;
  /** The error code/message of a failed answer, or the network error. */
  readonly detail: string;
  /** What to do about a failure (empty when ok). */
  readonly advice: string;
}

/** What a failure means and what to do, by status (issue #21: 401/403 role, 404 deployment, timeout network/DNS, 429 quota). */
export function adviceFor(call: SmokeCall, status: number | null, detail: string): string {
  const target = call.kind === "member" ? `member ${call.member} (${call.where})` : `route ${call.route}`;
  if (status === null) {
    return `${target}: no answer from the gateway (${detail}): check the gateway URL, the network path to it and DNS`;
  }
  if (status === 401 || status === 403) {
    if (detail.includes("subscription key") || detail.includes("Access denied")) {
      return `${target}: the gateway refused the key: pass the operator key (stack output operatorKey)`;
    }
    return `${target}: Azure OpenAI refused the gateway's identity: check that the gateway's managed identity holds "Cognitive Services OpenAI User" on account ${call.account ?? "(the route's accounts)"}, and wait up to 10 minutes after a first \`up\` for the role assignment to propagate; a 403 with public network access disabled means the call did not come through the private endpoint (private DNS zone privatelink.openai.azure.com not linked)`;
  }
  if (status === 404) {
    return `${target}: deployment ${call.route} not found${call.account ? ` on account ${call.account}` : ""}: it is missing or still provisioning (retry in a few minutes), or the region does not offer the model`;
  }
  if (status === 429) {
    return `${target}: rate limited: the member's quota is used up right now (check its capacity and other traffic); smoke again after the Retry-After`;
  }
  if (status === 503 && /No backend of deployment|is available right now/.test(detail)) {
    return `${target}: the gateway could not reach the account (timeout or connection failure): check network rules, private endpoints and DNS (the account's name must resolve to the address the gateway can reach)`;
  }
  if (status >= 500) {
    return `${target}: server error ${status} (${detail}): retry; if it persists, check the account's region status`;
  }
  if (status === 400 && detail.includes(MEMBER_HEADER)) {
    return `${target}: the gateway does not know this member: the stack file does not match the deployed stack (run \`pulumi up\` first)`;
  }
  return `${target}: the call was refused with ${status} (${detail})`;
}

export interface SmokeOptions {
  readonly url: string;
  readonly key: string;
  /** Seconds per call. Default SMOKE_TIMEOUT_SECONDS. */
  readonly timeoutSeconds?: number;
  /** Injected in tests. Default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Injected in tests. Default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    const code = body.error?.code;
    const message = body.error?.message ?? body.message;
    return [code, message]
      .filter((v) => v !== undefined && v !== null)
      .map(String)
      .join(": ")
      .slice(0, 300);
  } catch {
    return text.slice(0, 200);
  }
}

function requestInit(call: SmokeCall, key: string, signal: AbortSignal): RequestInit {
  const headers: Record<string, string> = { "api-key": key, ...call.headers };
  if ("json" in call.body) {
    return {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(call.body.json),
      signal,
    };
  }
  const form = new FormData();
  for (const [k, v] of Object.entries(call.body.multipart)) form.append(k, v);
  form.append("file", new Blob([silentWav()], { type: "audio/wav" }), "smoke.wav");
  return { method: "POST", headers, body: form, signal };
}

/** Run one call: at most SMOKE_ATTEMPTS attempts, each bounded by the timeout. */
export async function runSmokeCall(call: SmokeCall, options: SmokeOptions): Promise<SmokeResult> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = (options.timeoutSeconds ?? SMOKE_TIMEOUT_SECONDS) * 1000;
  const base = options.url.replace(/\/+$/, "");
  const started = Date.now();
  let status: number | null = null;
  let detail = "";
  let attempts = 0;
  for (let attempt = 1; attempt <= SMOKE_ATTEMPTS; attempt++) {
    attempts = attempt;
    let retryAfter = 1;
    try {
      const response = await doFetch(base + call.url, requestInit(call, options.key, AbortSignal.timeout(timeoutMs)));
      status = response.status;
      const text = await response.text();
      detail = response.ok ? "" : errorText(text);
      retryAfter = Number(response.headers.get("retry-after") ?? "1") || 1;
    } catch (e) {
      status = null;
      const err = e as Error & { cause?: { code?: string } };
      detail = err.name === "TimeoutError" ? `timed out after ${timeoutMs / 1000} s` : (err.cause?.code ?? err.message);
    }
    const retriable = status === null || status === 429 || status >= 500;
    if (!retriable || attempt === SMOKE_ATTEMPTS) break;
    if (status === 429 && retryAfter > SMOKE_MAX_PAUSE_SECONDS) break;
    await sleep(Math.min(retryAfter, SMOKE_MAX_PAUSE_SECONDS) * 1000);
  }
  const ok = status !== null && status >= 200 && status < 300;
  return {
    call,
    status,
    ok,
    attempts,
    ms: Date.now() - started,
    detail,
    advice: ok ? "" : adviceFor(call, status, detail),
  };
}

/** Run every call one after another (a smoke test adds no load worth parallelising). */
export async function runSmoke(calls: readonly SmokeCall[], options: SmokeOptions): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const call of calls) results.push(await runSmokeCall(call, options));
  return results;
}

/** One line per call: result, what was called, status and time. */
export function formatSmoke(results: readonly SmokeResult[]): string {
  const line = (r: SmokeResult) => {
    const c = r.call;
    const what =
      c.kind === "member"
        ? `member ${c.member} (${c.where}) ${c.operation}`
        : `route  ${c.route} ${c.path} ${c.operation}`;
    const status = r.status === null ? r.detail : String(r.status);
    return `${r.ok ? "ok  " : "FAIL"} ${what}: ${status}, ${r.ms} ms${r.attempts > 1 ? `, ${r.attempts} attempts` : ""}`;
  };
  const failed = results.filter((r) => !r.ok);
  const members = results.filter((r) => r.call.kind === "member");
  return (
    [
      ...results.map(line),
      "",
      `${results.length - failed.length} of ${results.length} calls ok; ${members.filter((r) => r.ok).length} of ${members.length} members ok`,
    ].join("\n") + "\n"
  );
}
