/**
 * `aoai-gateway simulate (--stack NAME | --config FILE) [--load 0.9 | --rpm N]
 * [--tokens-per-request N] [--duration 10m] [--profile steady|ramp|burst]
 * [--seed N] [--json] [--chart FILE.svg] [--compare KEY=V1,V2]` (issue #13):
 * what the stack serves at a load, from the same topology `up` deploys.
 * docs/simulate.md explains the output and the model's limits.
 */
import { writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { Option } from "commander";
import { loadProblem } from "../config/plausibility";
import { renderChart } from "../sim/chart";
import { CompareSpecError, applySetting, parseCompare, parseValue } from "../sim/compare";
import { PROFILES, type Profile } from "../sim/load";
import { type ComparedRun, formatComparison, formatSimulation } from "../sim/report";
import {
  type LoadSpec,
  SDK_DEFAULT_RETRIES,
  type SimulationResult,
  type TeamShare,
  routeRates,
  simulate,
} from "../sim/simulate";
import type { RegisterCommand } from "./commands";
import { type SourceOptions, UsageError, addSourceOptions, examples, loadTopology, sourceFile } from "./common";

interface SimulateOptions extends SourceOptions {
  json: boolean;
  load?: string;
  rpm?: string;
  tokensPerRequest: string;
  duration: string;
  profile: Profile;
  seed: string;
  chart?: string;
  compare?: string;
  teamShare: string[];
  maxWait?: string;
  clientRetries?: string;
  regionSplit?: string;
  regionOutage?: string;
  failoverSeconds: string;
}

/** `swedencentral=0.7,eastus2=0.3` (issue #22). */
export function parseRegionSplit(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^([a-z0-9]+)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) {
      throw new UsageError(
        `--region-split ${JSON.stringify(text)}: allowed is REGION=SHARE,... with ARM region names, e.g. swedencentral=0.7,eastus2=0.3`,
      );
    }
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** `eastus2@2m-5m` or `eastus2@120-300`: a gateway region down from the first time until the second. */
export function parseRegionOutage(text: string): { region: string; from: number; until: number } {
  const m = /^([a-z0-9]+)@([0-9.]+[smh]?)-([0-9.]+[smh]?)$/.exec(text.trim());
  const from = m ? (/^0+(?:\.0+)?[smh]?$/.test(m[2]) ? 0 : parseDuration(m[2])) : NaN;
  const until = m ? parseDuration(m[3]) : NaN;
  if (!m || !(until > from)) {
    throw new UsageError(
      `--region-outage ${JSON.stringify(text)}: allowed is REGION@FROM-UNTIL with an ARM region name and times such as 2m-5m or 120-300 (until after from)`,
    );
  }
  return { region: m[1], from, until };
}

/**
 * `--team-share NAME=FRACTION`, repeatable (issue #17): which share of the offered requests each team
 * sends; the team must be a consumer of the stack and the shares may add up to at most 1.
 */
export function parseTeamShares(specs: readonly string[], consumers: readonly string[]): TeamShare[] {
  const out: TeamShare[] = [];
  for (const spec of specs) {
    const m = /^([^=]+)=(.*)$/.exec(spec);
    const name = m?.[1].trim() ?? "";
    const share = m ? Number(m[2]) : NaN;
    if (!m || m[2].trim() === "" || !Number.isFinite(share) || share <= 0 || share > 1) {
      throw new UsageError(
        `--team-share ${JSON.stringify(spec)}: allowed is NAME=FRACTION, a consumer name and a fraction above 0 up to 1 (0.3 = 30% of the requests)`,
      );
    }
    if (!consumers.includes(name)) {
      throw new UsageError(
        `--team-share ${JSON.stringify(spec)}: no consumer named ${JSON.stringify(name)}; allowed: ${consumers.length > 0 ? consumers.join(", ") : "none (the stack has no aoai-gateway:consumers)"}`,
      );
    }
    if (out.some((t) => t.name === name)) {
      throw new UsageError(`--team-share ${JSON.stringify(spec)}: team ${name} is given twice`);
    }
    out.push({ name, share });
  }
  const total = out.reduce((a, t) => a + t.share, 0);
  if (total > 1 + 1e-9) {
    throw new UsageError(
      `--team-share: the shares add up to ${Number(total.toFixed(4))}; allowed: at most 1 (the rest is traffic from callers without a named team)`,
    );
  }
  return out;
}

/** `90s`, `10m`, `1h`. A bare number is refused (issue #17): `--duration 10` could mean 10 s or 10 min. */
export function parseDuration(text: string): number {
  const bare = /^\d+(?:\.\d+)?$/.exec(text.trim());
  if (bare) {
    throw new UsageError(
      `--duration ${JSON.stringify(text)}: give a unit: ${bare[0]}s, ${bare[0]}m or ${bare[0]}h (up to 24h)`,
    );
  }
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
  if (!(seconds > 0) || seconds > 24 * 3600) {
    throw new UsageError(
      `--duration ${JSON.stringify(text)}: allowed is a duration such as 90s, 10m or 1h (up to 24h)`,
    );
  }
  return seconds;
}

function positive(flag: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is a positive ${integer ? "integer" : "number"}`);
  }
  return v;
}

function nonNegative(flag: string, text: string, max: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is an integer from 0 to ${max}`);
  }
  return v;
}

/** A number of seconds, 0 or more (issue #22, `--failover-seconds`). */
function nonNegativeSeconds(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0)
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is a number of seconds, 0 or more`);
  return v;
}

function loadSpec(opts: SimulateOptions): LoadSpec {
  if (opts.rpm !== undefined) return { rpm: positive("--rpm", opts.rpm, false) };
  const load = positive("--load", opts.load ?? "0.9", false);
  // issue #17: `--load 120` meant 120%, which would offer 120 times the usable TPM.
  const problem = loadProblem(load);
  if (problem) throw new UsageError(`--load ${JSON.stringify(opts.load)}: ${problem}`);
  return { load };
}

function describeLoad(load: LoadSpec): string {
  return "load" in load ? `${Math.round(load.load * 100)}% of usable TPM` : `${load.rpm.toLocaleString("en-US")} RPM`;
}

function chartFor(file: string, value: string | undefined): string {
  const full = resolve(file);
  if (value === undefined) return full;
  const ext = extname(full) || ".svg";
  return join(dirname(full), `${basename(full, extname(full))}-${value.replace(/[^A-Za-z0-9._-]/g, "_")}${ext}`);
}

export const registerSimulate: RegisterCommand = (program, io, setCode) => {
  addSourceOptions(
    program
      .command("simulate")
      .description(
        "simulate traffic through the gateway and its Azure OpenAI quotas: served vs offered, client 429s, spill, per-member load",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway simulate --stack prod --load 0.9 --duration 10m",
          "npx aoai-gateway simulate --stack prod --load 1.2 --chart /tmp/prod.svg",
          "npx aoai-gateway simulate --stack prod --compare routing.mode=pool,policy",
          "npx aoai-gateway simulate --stack prod --load 1.2 --team-share chat-app=0.3 --team-share search-indexer=0.2",
          "npx aoai-gateway simulate --stack dev --load 1.0 --client-retries 2 --compare routing.maxWaitSeconds=0,10",
          "npx aoai-gateway simulate --stack prod --region-split swedencentral=0.6,eastus2=0.4 --region-outage eastus2@2m-5m",
        ),
      ),
  )
    .addOption(
      new Option(
        "--load <fraction>",
        "offered tokens as a share of the plan's usable TPM, a fraction: 0.9 = 90%, 1.2 = 120% (default 0.9)",
      ).conflicts("rpm"),
    )
    .addOption(new Option("--rpm <n>", "offered requests per minute over all routes (split by usable TPM)"))
    .option("--tokens-per-request <n>", "estimated tokens per request: prompt + max_tokens", "1000")
    .option("--duration <d>", "simulated time with its unit: 90s, 10m, 1h", "10m")
    .addOption(new Option("--profile <profile>", "load over time").choices([...PROFILES]).default("steady"))
    .option("--seed <n>", "random seed (same seed, same result)", "1")
    .option("--chart <file>", "write the time series as an SVG chart")
    .option("--compare <key=v1,v2>", "run the same load once per value of one config setting, side by side")
    .option(
      "--team-share <name=fraction>",
      "share of the requests a team (consumer) sends, with its token limits applied; repeatable; the rest has no team limit",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--max-wait <seconds>", "bounded wait in seconds (default: the stack's routing.maxWaitSeconds; 0: off)")
    .option(
      "--client-retries <n>",
      `retries each client makes after a 429 or 503, sleeping Retry-After as the OpenAI SDKs do (their default: ${SDK_DEFAULT_RETRIES})`,
      "0",
    )
    .option(
      "--region-split <region=share,...>",
      "several gateway regions: share of requests arriving at each (default equal)",
    )
    .option("--region-outage <region@from-until>", "a gateway region down for a time window, e.g. eastus2@2m-5m")
    .option(
      "--failover-seconds <s>",
      "seconds an outage lasts for clients of that region before the front door moves them (assumption)",
      "60",
    )
    .action((opts: SimulateOptions) => {
      const file = sourceFile(opts);
      const base = loadTopology(file);
      const load = loadSpec(opts);
      const tokensPerRequest = positive("--tokens-per-request", opts.tokensPerRequest, true);
      const options = {
        load,
        tokensPerRequest,
        durationSeconds: parseDuration(opts.duration),
        profile: opts.profile,
        seed: positive("--seed", opts.seed, true),
        teamShares: parseTeamShares(
          opts.teamShare,
          base.consumers.map((c) => c.name),
        ),
        ...(opts.maxWait !== undefined ? { maxWaitSeconds: nonNegative("--max-wait", opts.maxWait, 30) } : {}),
        clientRetries: nonNegative("--client-retries", opts.clientRetries ?? "0", 10),
        ...(opts.regionSplit !== undefined ? { regionSplit: parseRegionSplit(opts.regionSplit) } : {}),
        ...(opts.regionOutage !== undefined ? { regionOutage: parseRegionOutage(opts.regionOutage) } : {}),
        failoverSeconds: nonNegativeSeconds("--failover-seconds", opts.failoverSeconds),
      };
      if (
        (options.regionSplit !== undefined || options.regionOutage !== undefined) &&
        base.gateway.regions.length < 2
      ) {
        throw new UsageError(
          `--region-split and --region-outage need a gateway in more than one region; ${base.gateway.name} runs in ${base.gateway.location} only (aoai-gateway:gateway.additionalLocations)`,
        );
      }
      const regionNames = base.gateway.regions.map((r) => r.location);
      for (const region of [
        ...Object.keys(options.regionSplit ?? {}),
        ...(options.regionOutage ? [options.regionOutage.region] : []),
      ]) {
        if (!regionNames.includes(region)) {
          throw new UsageError(
            `region ${JSON.stringify(region)}: allowed is a gateway region of ${base.gateway.name} (${regionNames.join(", ")})`,
          );
        }
      }
      if (options.regionSplit && Object.values(options.regionSplit).every((w) => w === 0)) {
        throw new UsageError("--region-split: allowed is at least one share above 0");
      }
      const title = (r: SimulationResult, extra = "") =>
        `${r.gateway}: ${r.routingMode} mode, ${r.profile} ${describeLoad(load)}${extra}`;

      if (opts.compare === undefined) {
        const result = simulate(base, options);
        if (opts.chart) writeFileSync(chartFor(opts.chart, undefined), renderChart(result, title(result)));
        io.out(opts.json ? JSON.stringify(result, null, 2) + "\n" : formatSimulation(result));
        setCode(0);
        return;
      }

      let spec;
      try {
        spec = parseCompare(opts.compare);
      } catch (e) {
        throw e instanceof CompareSpecError ? new UsageError(e.message) : e;
      }
      // Same load for every setting: the per-route rates of the stack as written.
      const routeRpm = routeRates(base, load, tokensPerRequest);
      const runs: ComparedRun[] = spec.values.map((value) => {
        let topology;
        try {
          topology = loadTopology(file, (raw) => applySetting(raw, spec.path, parseValue(value)));
        } catch (e) {
          throw e instanceof CompareSpecError ? new UsageError(e.message) : e;
        }
        const result = simulate(topology, { ...options, routeRpm });
        if (opts.chart) {
          writeFileSync(chartFor(opts.chart, value), renderChart(result, title(result, `, ${spec.key}=${value}`)));
        }
        return { setting: spec.key, value, result };
      });
      io.out(opts.json ? JSON.stringify(runs, null, 2) + "\n" : formatComparison(runs));
      setCode(0);
    });
};
