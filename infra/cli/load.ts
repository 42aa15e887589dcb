/**
 * `aoai-gateway load (--stack NAME | --config FILE) --url URL [--key KEY] (--rpm N | --load F) [--duration 30s]
 * [--arrivals poisson|even] [--concurrency N] [--json]` (issue #21): a bounded load against a running gateway
 * (load-run.ts), reporting requests, served, status429, status5xx and latency percentiles, and with --load the
 * `simulate` prediction for the same load side by side. Refuses durations over MAX_LOAD_SECONDS.
 */
import { Option } from "commander";
import { simulate } from "../sim/simulate";
import type { RegisterCommand } from "./commands";
import { type SourceOptions, UsageError, addSourceOptions, examples, loadTopology, sourceFile } from "./common";
import {
  type Arrivals,
  DEFAULT_CONCURRENCY,
  LOAD_REQUEST_TIMEOUT_SECONDS,
  type LoadReport,
  MAX_CONCURRENCY,
  MAX_LOAD_RPM,
  MAX_LOAD_SECONDS,
  chatRoutes,
  loadRates,
  planArrivals,
  runLoad,
} from "./load-run";
import { parseDuration } from "./simulate";
import { gatewayUrlOption, keyOption } from "./smoke";

interface LoadCommandOptions extends SourceOptions {
  json: boolean;
  url?: string;
  key?: string;
  rpm?: string;
  load?: string;
  duration: string;
  arrivals: Arrivals;
  concurrency: string;
  tokensPerRequest: string;
  seed: string;
}

function number(flag: string, text: string, min: number, max: number, integer: boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)) || (min === 0 && v === 0)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)}: allowed is a ${integer ? "whole " : ""}number above ${min === 0 ? "0" : min - 1} and at most ${max}`,
    );
  }
  return v;
}

export interface Prediction {
  readonly requests: number;
  readonly served: number;
  readonly status429: number;
  readonly status5xx: number;
  readonly servedShare: number;
  readonly addedLatencySeconds: { readonly p50: number; readonly p90: number; readonly p99: number };
}

const share = (served: number, requests: number) => (requests > 0 ? served / requests : 1);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function formatLoad(gateway: string, report: LoadReport, prediction: Prediction | null, what: string): string {
  const rows: [string, string, string][] = [
    ["requests", String(report.requests), prediction ? String(prediction.requests) : ""],
    ["served", String(report.served), prediction ? String(prediction.served) : ""],
    ["status429", String(report.status429), prediction ? String(prediction.status429) : ""],
    ["status5xx", String(report.status5xx), prediction ? String(prediction.status5xx) : ""],
    ["other status", String(report.statusOther), prediction ? "-" : ""],
    ["no answer", String(report.errors), prediction ? "-" : ""],
    ["served share", pct(share(report.served, report.requests)), prediction ? pct(prediction.servedShare) : ""],
    [
      "latency ms p50/p90/p99",
      `${report.latencyMs.p50}/${report.latencyMs.p90}/${report.latencyMs.p99}`,
      prediction
        ? `wait s ${prediction.addedLatencySeconds.p50}/${prediction.addedLatencySeconds.p90}/${prediction.addedLatencySeconds.p99}`
        : "",
    ],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max("measured".length, ...rows.map((r) => r[1].length));
  const head = `  ${"".padEnd(w0)}  ${"measured".padStart(w1)}${prediction ? "  simulate" : ""}`;
  return (
    [
      `Load on ${gateway}: ${what}, ${report.arrivals} arrivals, ${report.durationSeconds} s${report.delayedStarts > 0 ? ` (${report.delayedStarts} requests started late: concurrency limit)` : ""}`,
      head,
      ...rows.map(([k, a, b]) => `  ${k.padEnd(w0)}  ${a.padStart(w1)}${prediction ? `  ${b}` : ""}`.trimEnd()),
    ].join("\n") + "\n"
  );
}

export const registerLoad: RegisterCommand = (program, io, setCode) => {
  addSourceOptions(
    program
      .command("load")
      .description(
        `send a bounded load (at most ${MAX_LOAD_SECONDS / 60} minutes) of chat completions to a running gateway and report served, 429s, 5xx and latency; with --load also the simulate prediction`,
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway load --stack dev --url https://NAME.azure-api.net --load 0.9 --duration 30s   # key from $AOAI_GATEWAY_KEY",
          "npx aoai-gateway load --stack dev --url https://NAME.azure-api.net --key KEY --rpm 120 --arrivals even --json",
        ),
      ),
  )
    .option("--url <url>", "the gateway URL (stack output gatewayUrl)")
    .option("--key <key>", "a subscription key of the gateway (a team's, or operatorKey); default: $AOAI_GATEWAY_KEY")
    .addOption(new Option("--load <fraction>", "offered tokens as a share of the plan's usable TPM").conflicts("rpm"))
    .addOption(new Option("--rpm <n>", "offered requests per minute over all chat routes (split by usable TPM)"))
    .option("--duration <d>", `how long to send: 30s, 2m (at most ${MAX_LOAD_SECONDS / 60}m)`, "30s")
    .addOption(
      new Option("--arrivals <kind>", "Poisson (bursty, as real clients) or evenly spaced")
        .choices(["poisson", "even"])
        .default("poisson"),
    )
    .option("--concurrency <n>", `requests in flight at most (1-${MAX_CONCURRENCY})`, String(DEFAULT_CONCURRENCY))
    .option("--tokens-per-request <n>", "estimated tokens per request: prompt + max_tokens", "1000")
    .option("--seed <n>", "seed of the Poisson arrivals (same seed, same schedule)", "1")
    .action(async (opts: LoadCommandOptions) => {
      if (opts.rpm === undefined && opts.load === undefined) throw new UsageError("give --rpm N or --load FRACTION");
      const url = gatewayUrlOption(opts.url);
      const key = keyOption(opts.key);
      const durationSeconds = parseDuration(opts.duration);
      if (durationSeconds > MAX_LOAD_SECONDS) {
        throw new UsageError(
          `--duration ${JSON.stringify(opts.duration)}: allowed is at most ${MAX_LOAD_SECONDS / 60}m (a load run is a bounded check; run it again for more)`,
        );
      }
      const concurrency = number("--concurrency", opts.concurrency, 1, MAX_CONCURRENCY, true);
      const tokensPerRequest = number("--tokens-per-request", opts.tokensPerRequest, 1, 1_000_000, true);
      const seed = number("--seed", opts.seed, 1, Number.MAX_SAFE_INTEGER, true);
      const load: { readonly rpm: number } | { readonly load: number } =
        opts.rpm !== undefined
          ? { rpm: number("--rpm", opts.rpm, 0, MAX_LOAD_RPM, false) }
          : { load: number("--load", opts.load ?? "", 0, 5, false) };
      const topology = loadTopology(sourceFile(opts));
      if (chatRoutes(topology).length === 0) throw new UsageError("the stack has no route with a chat model to load");
      const rates = loadRates(topology, load, tokensPerRequest);
      const offeredRpm = Object.values(rates).reduce((a, b) => a + b, 0);
      if (offeredRpm > MAX_LOAD_RPM) {
        throw new UsageError(`the load is ${Math.round(offeredRpm)} RPM; allowed is at most ${MAX_LOAD_RPM} RPM`);
      }
      const planned = planArrivals(topology, rates, durationSeconds, opts.arrivals, seed);
      const report = await runLoad(planned, durationSeconds, opts.arrivals, offeredRpm, {
        url,
        key,
        tokensPerRequest,
        concurrency,
        timeoutSeconds: LOAD_REQUEST_TIMEOUT_SECONDS,
      });
      let prediction: Prediction | null = null;
      if ("load" in load) {
        const r = simulate(topology, { load, durationSeconds, tokensPerRequest, seed });
        prediction = {
          requests: r.offeredRequests,
          served: r.servedRequests,
          status429: r.client429Requests,
          status5xx: r.client5xxRequests,
          servedShare: r.servedShare,
          addedLatencySeconds: {
            p50: r.clients.addedLatencySeconds.p50,
            p90: r.clients.addedLatencySeconds.p90,
            p99: r.clients.addedLatencySeconds.p99,
          },
        };
      }
      const what = "load" in load ? `${Math.round(load.load * 100)}% of usable TPM` : `${load.rpm} RPM`;
      io.out(
        opts.json
          ? JSON.stringify({ gateway: topology.gateway.name, url, ...report, prediction }, null, 2) + "\n"
          : formatLoad(topology.gateway.name, report, prediction, what),
      );
      setCode(0);
    });
};
