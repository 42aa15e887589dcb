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
import { type LoadSpec, SDK_DEFAULT_RETRIES, type SimulationResult, routeRates, simulate } from "../sim/simulate";
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
  maxWait?: string;
  clientRetries?: string;
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

function nonNegative(flag: string, text: string, max: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is an integer from 0 to ${max}`);
  }
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
          "npx aoai-gateway simulate --stack dev --load 1.0 --client-retries 2 --compare routing.maxWaitSeconds=0,10",
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
    .option("--max-wait <seconds>", "bounded wait in seconds (default: the stack's routing.maxWaitSeconds; 0: off)")
    .option(
      "--client-retries <n>",
      `retries each client makes after a 429 or 503, sleeping Retry-After as the OpenAI SDKs do (their default: ${SDK_DEFAULT_RETRIES})`,
      "0",
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
        ...(opts.maxWait !== undefined ? { maxWaitSeconds: nonNegative("--max-wait", opts.maxWait, 30) } : {}),
        clientRetries: nonNegative("--client-retries", opts.clientRetries ?? "0", 10),
      };
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
