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
import { renderChart } from "../sim/chart";
import { CompareSpecError, applySetting, parseCompare, parseValue } from "../sim/compare";
import { PROFILES, type Profile } from "../sim/load";
import { type ComparedRun, formatComparison, formatSimulation } from "../sim/report";
import { type LoadSpec, type SimulationResult, routeRates, simulate } from "../sim/simulate";
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

/** `90s`, `10m`, `1h` or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
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

function nonNegative(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0)
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is a number of seconds, 0 or more`);
  return v;
}

function loadSpec(opts: SimulateOptions): LoadSpec {
  if (opts.rpm !== undefined) return { rpm: positive("--rpm", opts.rpm, false) };
  return { load: positive("--load", opts.load ?? "0.9", false) };
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
          "npx aoai-gateway simulate --stack prod --region-split swedencentral=0.6,eastus2=0.4 --region-outage eastus2@2m-5m",
        ),
      ),
  )
    .addOption(
      new Option("--load <fraction>", "offered tokens as a share of the plan's usable TPM (default 0.9)").conflicts(
        "rpm",
      ),
    )
    .addOption(new Option("--rpm <n>", "offered requests per minute over all routes (split by usable TPM)"))
    .option("--tokens-per-request <n>", "estimated tokens per request: prompt + max_tokens", "1000")
    .option("--duration <d>", "simulated time: 90s, 10m, 1h", "10m")
    .addOption(new Option("--profile <profile>", "load over time").choices([...PROFILES]).default("steady"))
    .option("--seed <n>", "random seed (same seed, same result)", "1")
    .option("--chart <file>", "write the time series as an SVG chart")
    .option("--compare <key=v1,v2>", "run the same load once per value of one config setting, side by side")
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
        ...(opts.regionSplit !== undefined ? { regionSplit: parseRegionSplit(opts.regionSplit) } : {}),
        ...(opts.regionOutage !== undefined ? { regionOutage: parseRegionOutage(opts.regionOutage) } : {}),
        failoverSeconds: nonNegative("--failover-seconds", opts.failoverSeconds),
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
