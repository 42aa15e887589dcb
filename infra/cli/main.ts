/**
 * The offline CLI (`aoai-gateway`, package.json bin). No Azure access and no
 * Pulumi CLI needed: every command works from a stack file alone.
 *
 * Exit codes (docs/cli.md, "Exit codes and errors"): 0 done; 1 the stack config, a file
 * or the program failed, with the reason on stderr and never a stack trace
 * (issue #14: `render --out` onto a file printed one); 2 the command line
 * itself is wrong (commander's usage errors and UsageError).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/validate";
import { PROJECT_ROOT, StackFileError } from "../config/load";
import { addLegacyKeys, diffTopologies, formatChanges } from "../model/changes";
import { formatConflicts, stackConflicts } from "../model/conflicts";
import { DEFAULT_COST_ASSUMPTIONS } from "../model/cost";
import { createPlan, formatPlan } from "../model/plan";
import { registeredCommands } from "./commands";
import {
  CliError,
  type Io,
  type SourceOptions,
  UsageError,
  addSourceOptions,
  examples,
  loadTopology,
  otherStackTopologies,
  processIo,
  sourceFile,
} from "./common";

/** The package's version (package.json), for `--version`. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

interface PlanCostOptions {
  utilization: string;
  inputShare: string;
  cachedInputShare: string;
}

/** A share flag: a number from 0 to 1. */
function share(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: allowed is a number from 0 to 1`);
  }
  return v;
}

function costAssumptions(opts: PlanCostOptions) {
  return {
    ...DEFAULT_COST_ASSUMPTIONS,
    utilization: share("--utilization", opts.utilization),
    inputShare: share("--input-share", opts.inputShare),
    cachedInputShare: share("--cached-input-share", opts.cachedInputShare),
  };
}

export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("aoai-gateway")
    .description("Plan, preview and render an aoai-gateway stack offline (no Azure access needed).")
    .version(packageVersion(), "-V, --version", "print the aoai-gateway version")
    .exitOverride()
    .configureOutput({
      writeOut: (t) => io.out(t),
      writeErr: (t) => io.err(t),
      // One line per error: commander puts "(Did you mean plan?)" on a line of its own.
      outputError: (t, write) => write(`${t.trimEnd().replace(/\n+/g, " ")}\n`),
    })
    .addHelpText(
      "after",
      examples(
        "npx aoai-gateway plan --stack dev",
        "npx aoai-gateway diagram --stack prod",
        "npx aoai-gateway help render",
      ),
    );

  addSourceOptions(
    program
      .command("plan")
      .description(
        "show the gateway URL, each route's endpoint and members, quota pools, usable TPM, the gateway tier and a cost estimate",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway plan --stack dev",
          "npx aoai-gateway plan --config ./my-stack.yaml --json",
          "npx aoai-gateway plan --stack prod --utilization 0.8 --input-share 0.6",
          "git show main:stacks/Pulumi.prod.yaml > /tmp/old.yaml && npx aoai-gateway plan --stack prod --against /tmp/old.yaml",
        ),
      ),
  )
    .option("--utilization <share>", "cost estimate: share of usable TPM in use over the month, 0-1", "0.5")
    .option("--input-share <share>", "cost estimate: share of tokens that are input (prompt) tokens, 0-1", "0.75")
    .option("--cached-input-share <share>", "cost estimate: share of input tokens billed as cached, 0-1", "0")
    .option(
      "--against <file>",
      "the stack file as deployed (e.g. `git show main:stacks/Pulumi.prod.yaml > old.yaml`): also list what changes, what is replaced and what is refused",
    )
    .action((opts: SourceOptions & PlanCostOptions & { json: boolean; against?: string }) => {
      const file = sourceFile(opts);
      const topology = loadTopology(file);
      const plan = createPlan(topology, costAssumptions(opts));
      // issue #11: say which changes replace before anything reaches Azure.
      const changes = opts.against ? diffTopologies(loadTopology(opts.against, addLegacyKeys), topology) : undefined;
      // issue #17: another stack file that would create the same resources (a copied stack file) is an error.
      const conflicts = stackConflicts(topology, otherStackTopologies(file));
      if (opts.json) io.out(JSON.stringify({ ...plan, ...(changes ? { changes } : {}), conflicts }, null, 2) + "\n");
      else
        io.out(
          formatPlan(plan, { stack: opts.stack }) +
            (changes && opts.against ? "\n" + formatChanges(changes, opts.against) : "") +
            (conflicts.length > 0 ? "\n" + formatConflicts(conflicts) : ""),
        );
      setCode(changes?.some((c) => c.kind === "refused") || conflicts.length > 0 ? 1 : 0);
    });

  for (const register of registeredCommands) register(program, io, setCode);
  return program;
}

/** Run the CLI; returns the exit code. Every failure prints one message, never a stack trace. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    // commander has printed its own message (or the help, or the version).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof StackFileError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    if (e instanceof CliError) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    // Anything else is a defect: still one line, with the trace on request.
    const message = e instanceof Error ? e.message : String(e);
    const trace = process.env.AOAI_GATEWAY_DEBUG && e instanceof Error && e.stack ? `${e.stack}\n` : "";
    io.err(
      `error: ${message.split("\n")[0]} (unexpected: please report it; AOAI_GATEWAY_DEBUG=1 prints the stack trace)\n${trace}`,
    );
    return 1;
  }
}
