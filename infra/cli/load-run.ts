/**
 * `aoai-gateway load` (issue #21): a bounded load against a running gateway. Chat completions on every route
 * with a chat model, at a rate split over routes by their usable TPM (as `simulate` splits it), with Poisson or
 * evenly spaced arrivals, at most `concurrency` requests in flight, for at most MAX_LOAD_SECONDS. Each request
 * asks for `tokensPerRequest` estimated tokens (prompt + max_tokens, what Azure counts at arrival). No retries:
 * a 429 is counted as the client saw it.
 */
import { forEachArrival } from "../sim/load";
import { createRng } from "../sim/rng";
import { routeRates } from "../sim/simulate";
import { API_PATH, CLIENT_API_VERSION } from "../model/names";
import type { Topology } from "../model/topology";
import { operationFor } from "./smoke-run";

/** Longest load run: 10 minutes. A load test is a bounded check, not a soak test. */
export const MAX_LOAD_SECONDS = 600;
/** Highest offered rate, requests per minute (a guard against a typo costing real quota). */
export const MAX_LOAD_RPM = 60_000;
/** Default and largest number of requests in flight. */
export const DEFAULT_CONCURRENCY = 32;
export const MAX_CONCURRENCY = 512;
/** Timeout of one request, seconds (the bounded wait may hold a request up to 30 s). */
export const LOAD_REQUEST_TIMEOUT_SECONDS = 60;

export type Arrivals = "poisson" | "even";

export interface PlannedRequest {
  /** Seconds from the start. */
  readonly at: number;
  readonly route: string;
}

/** The chat routes a load can call (embeddings, audio and image routes are left out). */
export function chatRoutes(topology: Topology): Topology["routes"] {
  return topology.routes.filter((r) => operationFor(r.members[0]?.deployment.model ?? r.name) === "chat");
}

/** Arrival times per route: Poisson (the simulator's generator, seeded) or evenly spaced, merged in time order. */
export function planArrivals(
  topology: Topology,
  rpmByRoute: Readonly<Record<string, number>>,
  durationSeconds: number,
  arrivals: Arrivals,
  seed: number,
): PlannedRequest[] {
  const routes = chatRoutes(topology);
  const out: PlannedRequest[] = [];
  if (arrivals === "poisson") {
    forEachArrival(
      routes.map((r) => ({ rpm: rpmByRoute[r.name] ?? 0 })),
      durationSeconds,
      "steady",
      createRng(seed, 1),
      (t, i) => out.push({ at: t, route: routes[i].name }),
    );
    return out;
  }
  routes.forEach((r, i) => {
    const rpm = rpmByRoute[r.name] ?? 0;
    if (rpm <= 0) return;
    const every = 60 / rpm;
    // Routes are offset from each other so their requests do not land together.
    for (let t = (every * i) / routes.length; t < durationSeconds; t += every) out.push({ at: t, route: r.name });
  });
  return out.sort((a, b) => a.at - b.at);
}

/** Requests per minute per chat route for `--rpm N` (split by usable TPM) or `--load F` (share of usable TPM). */
export function loadRates(
  topology: Topology,
  load: { readonly load: number } | { readonly rpm: number },
  tokensPerRequest: number,
): Record<string, number> {
  const chat = new Set(chatRoutes(topology).map((r) => r.name));
  const rates = routeRates(topology, load, tokensPerRequest);
  return Object.fromEntries(Object.entries(rates).filter(([name]) => chat.has(name)));
}

export interface LoadReport {
  readonly durationSeconds: number;
  readonly arrivals: Arrivals;
  readonly offeredRpm: number;
  readonly requests: number;
  readonly served: number;
  readonly status429: number;
  readonly status5xx: number;
  /** Any other status (4xx other than 429). */
  readonly statusOther: number;
  /** No answer: timeout or connection failure. */
  readonly errors: number;
  /** Requests that started later than planned because `concurrency` requests were in flight. */
  readonly delayedStarts: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
}

export interface LoadOptions {
  readonly url: string;
  readonly key: string;
  readonly tokensPerRequest: number;
  readonly concurrency: number;
  readonly timeoutSeconds?: number;
  readonly fetch?: typeof fetch;
}

function percentiles(values: number[]): LoadReport["latencyMs"] {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

/** The chat body of one load request: a short prompt and max_tokens making up `tokens` estimated tokens. */
export function loadBody(tokens: number): Record<string, unknown> {
  const content = "Reply with OK.";
  return {
    messages: [{ role: "user", content }],
    max_tokens: Math.max(1, tokens - Math.ceil(content.length / 4)),
  };
}

/**
 * Send the planned requests at their times (real clock) with at most `concurrency` in flight, then wait for
 * the last answers (each bounded by the request timeout). Stops by itself.
 */
export async function runLoad(
  planned: readonly PlannedRequest[],
  durationSeconds: number,
  arrivals: Arrivals,
  offeredRpm: number,
  options: LoadOptions,
): Promise<LoadReport> {
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, "");
  const timeoutMs = (options.timeoutSeconds ?? LOAD_REQUEST_TIMEOUT_SECONDS) * 1000;
  const body = JSON.stringify(loadBody(options.tokensPerRequest));
  const latencies: number[] = [];
  const counts = { served: 0, status429: 0, status5xx: 0, statusOther: 0, errors: 0, delayedStarts: 0 };
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (inFlight < options.concurrency) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
  };
  const release = () => {
    inFlight--;
    waiting.shift()?.();
  };
  const one = async (req: PlannedRequest, plannedAt: number) => {
    await slot();
    if (Date.now() - plannedAt > 100) counts.delayedStarts++;
    const sent = Date.now();
    try {
      const response = await doFetch(
        `${base}/${API_PATH}/deployments/${req.route}/chat/completions?api-version=${CLIENT_API_VERSION}`,
        {
          method: "POST",
          headers: { "api-key": options.key, "Content-Type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        },
      );
      await response.arrayBuffer();
      latencies.push(Date.now() - sent);
      if (response.status >= 200 && response.status < 300) counts.served++;
      else if (response.status === 429) counts.status429++;
      else if (response.status >= 500) counts.status5xx++;
      else counts.statusOther++;
    } catch {
      counts.errors++;
    } finally {
      release();
    }
  };
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (const req of planned) {
    const plannedAt = start + req.at * 1000;
    const delay = plannedAt - Date.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    pending.push(one(req, plannedAt));
  }
  await Promise.all(pending);
  return {
    durationSeconds,
    arrivals,
    offeredRpm: Math.round(offeredRpm * 10) / 10,
    requests: planned.length,
    ...counts,
    latencyMs: percentiles(latencies),
  };
}
