/**
 * The commands that read Azure (issue #19), unlike every other command of the CLI:
 *
 * - `aoai-gateway quota (--stack NAME | --config FILE) [--json] [--arm-endpoint URL]`: per quota pool of
 *   the stack, the limit, what deployments outside the stack use, the stack's allocation and the room left,
 *   from ARM's usages; the models each region offers; exit 1 naming a pool that does not fit or a model,
 *   version and type a region does not offer, or a subscription and region that could not be read.
 * - `aoai-gateway capacity --model M [--version V] --tpm N [--type T] (--stack | --config)`: where across
 *   the stack's subscriptions there is room (ARM's modelCapacities), as backend entries to paste.
 * - `aoai-gateway catalog refresh (--stack | --config) [--out FILE]`: rebuild the model catalog file from
 *   the models API for the stack's regions.
 *
 * Azure access is read-only: ARM GETs only (infra/cli/arm.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { buildCatalog, catalogProblem } from "../config/catalog";
import { PROJECT_ROOT } from "../config/load";
import { DEPLOYMENT_TYPES, type DeploymentType, isProvisioned } from "../config/schema";
import { type CatalogFile, refreshCatalog } from "../model/catalog-refresh";
import {
  type CapacityOffer,
  type QuotaReport,
  type RegionModel,
  type RegionRead,
  formatProposal,
  formatQuotaReport,
  proposeCapacity,
  quotaReport,
  unitSize,
} from "../model/quota";
import type { Topology } from "../model/topology";
import { type ArmError, type ArmReader, CLOUD_ENDPOINTS, createArmReader, explain } from "./arm";
import type { RegisterCommand } from "./commands";
import {
  CliError,
  type Io,
  type SourceOptions,
  UsageError,
  addStackOptions,
  emit,
  examples,
  loadTopology,
  sourceFile,
} from "./common";

interface ArmCliOptions extends SourceOptions {
  armEndpoint?: string;
  json?: boolean;
}

/** The ARM endpoint: `--arm-endpoint`, else the stack's cloud (aoai-gateway:cloud). */
function armEndpoint(topology: Topology, override: string | undefined): string {
  if (override === undefined) return CLOUD_ENDPOINTS[topology.cloud].arm;
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new UsageError(`--arm-endpoint ${JSON.stringify(override)}: allowed is an https:// URL`);
  }
  if (url.protocol !== "https:")
    throw new UsageError(
      `--arm-endpoint ${override}: allowed is an https:// URL (tokens are never sent in clear text)`,
    );
  return url.origin;
}

/** Tests and the docs can swap the reader; the CLI builds one from the stack's cloud. */
export type ReaderFactory = (topology: Topology, endpoint: string) => ArmReader;

const defaultFactory: ReaderFactory = (topology, endpoint) => createArmReader({ cloud: topology.cloud, endpoint });

/** Every (subscription, region) the stack has an account in. */
function regionsOf(topology: Topology) {
  const seen = new Map<string, { alias: string; id: string; location: string }>();
  for (const a of topology.accounts) {
    seen.set(`${a.subscription.id}|${a.location}`, {
      alias: a.subscription.alias,
      id: a.subscription.id,
      location: a.location,
    });
  }
  return [...seen.values()];
}

/** A failure that makes every other read pointless (no credential) stops the command at once. */
function fatal(e: ArmError): never {
  throw new CliError(e.message);
}

/** Read usages, models and the stack's existing deployments for every subscription and region of the stack. */
export async function readRegions(
  topology: Topology,
  reader: ArmReader,
  what: { usages: boolean } = { usages: true },
): Promise<{ reads: RegionRead[]; failures: string[] }> {
  const results = await Promise.all(
    regionsOf(topology).map(async (r) => {
      const sub = { alias: r.alias, id: r.id };
      let step = `quota usages in ${r.location}`;
      try {
        const usages = what.usages ? await reader.usages(r.id, r.location) : [];
        step = `models offered in ${r.location}`;
        const models = await reader.models(r.id, r.location);
        const existing = [];
        for (const a of topology.accounts.filter((x) => x.subscription.id === r.id && x.location === r.location)) {
          step = `deployments of account ${a.name} (resource group ${a.resourceGroup.name})`;
          existing.push(...(await reader.deployments(r.id, a.resourceGroup.name, a.name)));
        }
        const read: RegionRead = {
          subscription: r.alias,
          subscriptionId: r.id,
          location: r.location,
          usages,
          models,
          existing,
        };
        return { read };
      } catch (e) {
        const err = explain(e, step, sub);
        if (err.kind === "no-credential") fatal(err);
        return { failure: err.message };
      }
    }),
  );
  return {
    reads: results.flatMap((r) => ("read" in r && r.read ? [r.read] : [])),
    failures: results.flatMap((r) => ("failure" in r && r.failure ? [r.failure] : [])),
  };
}

function reportJson(report: QuotaReport, topology: Topology, endpoint: string, source: string) {
  return {
    source,
    cloud: topology.cloud,
    armEndpoint: endpoint,
    pools: report.pools.map((p) => ({
      subscription: p.subscription,
      subscriptionId: p.subscriptionId,
      location: p.location,
      model: p.model,
      models: p.models,
      sku: p.sku,
      unit: p.unit,
      usageName: p.usageName,
      limit: p.limit,
      used: p.used,
      stackExisting: p.stackExisting,
      stackAllocated: p.stackAllocated,
      available: p.available,
      fits: p.available === null ? false : p.available >= 0,
      planQuota: p.planQuota,
      planQuotaSource: p.planQuotaSource,
    })),
    problems: report.problems,
    failures: report.failures,
  };
}

function registerQuotaCommand(program: Command, io: Io, setCode: (code: number) => void, factory: ReaderFactory) {
  addStackOptions(
    program
      .command("quota")
      .description(
        "read the real quota from Azure (Resource Manager, read-only): per quota pool the limit, what others use, this stack's allocation and the room left; the models each region offers",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway quota --stack prod",
          "npx aoai-gateway quota --config ./my-stack.yaml --json",
          "AZURE_TOKEN_CREDENTIALS=AzureCliCredential npx aoai-gateway quota --stack prod",
        ) +
          "\nNeeds the roles Cognitive Services Usages Reader and Reader on each subscription of the stack (docs/quota.md).\nExit 1 when a pool does not fit, a region does not offer a model, or a subscription or region could not be read.\n",
      ),
  )
    .option("--json", "print JSON instead of text", false)
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (default: the stack's aoai-gateway:cloud)")
    .action(async (opts: ArmCliOptions) => {
      const file = sourceFile(opts);
      const topology = loadTopology(file);
      const endpoint = armEndpoint(topology, opts.armEndpoint);
      const catalog = buildCatalog(topology.modelCatalog);
      const { reads, failures } = await readRegions(topology, factory(topology, endpoint));
      const report = quotaReport(topology, catalog, reads, failures);
      const source = opts.stack ? `stack ${opts.stack}` : file;
      io.out(
        opts.json
          ? JSON.stringify(reportJson(report, topology, endpoint, source), null, 2) + "\n"
          : formatQuotaReport(report, source),
      );
      if (failures.length > 0 || report.problems.length > 0) {
        io.err(
          `error: ${[...report.problems, ...failures].length} problem${[...report.problems, ...failures].length === 1 ? "" : "s"}: ${[...report.problems, ...failures][0]}${[...report.problems, ...failures].length > 1 ? " (and more above)" : ""}\n`,
        );
        setCode(1);
      } else setCode(0);
    });
}

interface CapacityOptions extends ArmCliOptions {
  model: string;
  version?: string;
  tpm?: string;
  rpm?: string;
  ptu?: string;
  type: DeploymentType;
  name?: string;
}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0)
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is a whole number above 0`);
  return v;
}

function registerCapacityCommand(program: Command, io: Io, setCode: (code: number) => void, factory: ReaderFactory) {
  addStackOptions(
    program
      .command("capacity")
      .description(
        "find where across the stack's subscriptions there is room for a model (Azure's model capacities, read-only), printed as backend entries to paste into the stack file",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway capacity --stack prod --model gpt-4o --version 2024-11-20 --tpm 2000000",
          "npx aoai-gateway capacity --stack prod --model gpt-4.1 --tpm 500000 --type DataZoneStandard --name gpt-4.1",
          "npx aoai-gateway capacity --stack prod --model dall-e-3 --rpm 30 --type Standard",
        ),
      ),
  )
    .requiredOption("--model <model>", "model name, e.g. gpt-4o")
    .option("--version <version>", "model version (default: the newest the catalog lists)")
    .option("--tpm <n>", "tokens per minute wanted (token-metered models)")
    .option("--rpm <n>", "requests per minute wanted (image, whisper and tts models)")
    .option("--ptu <n>", "PTUs wanted (provisioned types)")
    .addOption(new Option("--type <type>", "deployment type").choices([...DEPLOYMENT_TYPES]).default("GlobalStandard"))
    .option("--name <deployment>", "deployment (route) name of the entries (default: the model name)")
    .option("--json", "print JSON instead of YAML", false)
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (default: the stack's aoai-gateway:cloud)")
    .action(async (opts: CapacityOptions) => {
      const file = sourceFile(opts);
      const topology = loadTopology(file);
      const endpoint = armEndpoint(topology, opts.armEndpoint);
      const catalog = buildCatalog(topology.modelCatalog);
      const entry = catalog.get(opts.model);
      const version = opts.version ?? (entry ? [...entry.versions].sort().at(-1) : undefined);
      if (version === undefined) {
        throw new UsageError(
          `--model ${opts.model} is not in the model catalog: give --version (and add the model to aoai-gateway:modelCatalog)`,
        );
      }
      const { unit } = unitSize(catalog, opts.model, opts.type);
      const flag = unit === "PTU" ? "--ptu" : unit === "RPM" ? "--rpm" : "--tpm";
      const given = unit === "PTU" ? opts.ptu : unit === "RPM" ? opts.rpm : opts.tpm;
      if (given === undefined) {
        throw new UsageError(`give ${flag} N: ${opts.model} as ${opts.type} is counted in ${unit}`);
      }
      const amount = positiveInt(flag, given);
      const reader = factory(topology, endpoint);
      const offers: CapacityOffer[] = [];
      const failures: string[] = [];
      await Promise.all(
        topology.subscriptions.map(async (s) => {
          try {
            const list = await reader.modelCapacities(s.id, opts.model, version);
            offers.push(...list.map((o) => ({ ...o, subscription: s.alias, subscriptionId: s.id })));
          } catch (e) {
            const err = explain(e, `model capacities of ${opts.model} ${version}`, s);
            if (err.kind === "no-credential") fatal(err);
            failures.push(err.message);
          }
        }),
      );
      const { reads, failures: regionFailures } = await readRegions(topology, reader, { usages: false });
      failures.push(...regionFailures);
      offers.sort((a, b) => a.subscription.localeCompare(b.subscription) || a.location.localeCompare(b.location));
      const proposal = proposeCapacity(
        topology,
        catalog,
        { model: opts.model, version, sku: opts.type, amount, deployment: opts.name ?? opts.model },
        offers,
        reads,
        (location) =>
          catalogProblem(catalog, {
            model: opts.model,
            version,
            sku: opts.type,
            location,
            capacity: 1,
            provisioned: isProvisioned(opts.type),
          })?.key === "location"
            ? "the model catalog does not list this region for it (npx aoai-gateway catalog refresh, or aoai-gateway:modelCatalog)"
            : undefined,
      );
      io.out(
        opts.json
          ? JSON.stringify({ ...proposal, failures }, null, 2) + "\n"
          : formatProposal(proposal) + failures.map((f) => `# Not read: ${f}\n`).join(""),
      );
      if (proposal.found < amount) {
        io.err(
          `error: only ${proposal.found.toLocaleString("en-US")} of ${amount.toLocaleString("en-US")} ${unit} of ${opts.model} ${version} (${opts.type}) found across the stack's ${topology.subscriptions.length} subscription${topology.subscriptions.length === 1 ? "" : "s"}${failures.length > 0 ? `; ${failures.length} could not be read` : ""}: add a subscription or request quota (https://aka.ms/oai/stuquotarequest)\n`,
        );
        setCode(1);
      } else if (failures.length > 0) {
        io.err(`error: ${failures[0]}\n`);
        setCode(1);
      } else setCode(0);
    });
}

interface RefreshOptions extends ArmCliOptions {
  out?: string;
}

/** The two prettier functions used (prettier is a dev dependency: absent from a production install). */
interface Prettier {
  resolveConfig(file: string): Promise<Record<string, unknown> | null>;
  format(text: string, options: Record<string, unknown>): Promise<string>;
}

/**
 * JSON as the repository's prettier writes it (its `lint` checks data files too), when prettier is
 * installed (a clone with dev dependencies); plain JSON.stringify otherwise.
 */
async function formatJson(value: unknown): Promise<string> {
  const text = JSON.stringify(value, null, 2) + "\n";
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prettier = require("prettier") as Prettier;
    const options = (await prettier.resolveConfig(CATALOG_FILE)) ?? {};
    return await prettier.format(text, { ...options, parser: "json" });
  } catch {
    return text;
  }
}

/** The catalog file the package ships. */
export const CATALOG_FILE = join(PROJECT_ROOT, "infra", "data", "model-catalog.json");

function registerCatalogCommand(program: Command, io: Io, setCode: (code: number) => void, factory: ReaderFactory) {
  const catalog = program
    .command("catalog")
    .description("the model catalog (infra/data/model-catalog.json): `catalog refresh` rebuilds it from Azure")
    .addHelpText("after", examples("npx aoai-gateway catalog refresh --stack prod"));
  addStackOptions(
    catalog
      .command("refresh")
      .description(
        "rebuild the model catalog file from Azure's models API (read-only) for the stack's regions, keeping its format and provenance",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway catalog refresh --stack prod && git diff infra/data/model-catalog.json",
          "npx aoai-gateway catalog refresh --stack prod --out -",
        ),
      ),
  )
    .option("-o, --out <file>", "write here instead of infra/data/model-catalog.json (- for stdout)")
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (default: the stack's aoai-gateway:cloud)")
    .action(async (opts: RefreshOptions) => {
      const file = sourceFile(opts);
      const topology = loadTopology(file);
      const endpoint = armEndpoint(topology, opts.armEndpoint);
      const reader = factory(topology, endpoint);
      const regions = new Map<string, RegionModel[]>();
      const failures: string[] = [];
      // One subscription's answer per region is enough: what a region offers does not depend on the subscription.
      for (const r of regionsOf(topology)) {
        if (regions.has(r.location)) continue;
        try {
          regions.set(r.location, await reader.models(r.id, r.location));
        } catch (e) {
          const err = explain(e, `models offered in ${r.location}`, { alias: r.alias, id: r.id });
          if (err.kind === "no-credential") fatal(err);
          failures.push(err.message);
        }
      }
      if (regions.size === 0) throw new CliError(failures[0] ?? "the stack has no regions to read");
      const current = JSON.parse(readFileSync(CATALOG_FILE, "utf8")) as CatalogFile;
      const { file: next, changes } = refreshCatalog(current, {
        regions,
        readOn: new Date().toISOString().slice(0, 10),
        source: `${endpoint} Microsoft.CognitiveServices/locations/{location}/models (api-version 2025-09-01)`,
      });
      const written = emit(io, await formatJson(next), opts.out ?? CATALOG_FILE);
      io.err(
        `${written === null ? "printed" : `wrote ${written}`}: ${regions.size} region${regions.size === 1 ? "" : "s"} read, ${changes.length} change${changes.length === 1 ? "" : "s"}${changes.length > 0 ? `: ${changes.join("; ")}` : ""}\n`,
      );
      for (const f of failures) io.err(`error: ${f}\n`);
      setCode(failures.length > 0 ? 1 : 0);
    });
}

/** `quota`, `capacity` and `catalog refresh`; `factory` lets tests read a stand-in instead of Azure. */
export function registerQuotaCommands(factory: ReaderFactory = defaultFactory): RegisterCommand {
  return (program, io, setCode) => {
    // `capacity --version V` (issue #19) names a model version; without positional options commander reads
    // any --version after the subcommand as the program's own `--version` and prints the package version.
    program.enablePositionalOptions();
    registerQuotaCommand(program, io, setCode, factory);
    registerCapacityCommand(program, io, setCode, factory);
    registerCatalogCommand(program, io, setCode, factory);
  };
}

export const registerQuota: RegisterCommand = registerQuotaCommands();
