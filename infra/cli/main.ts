/**
 * The offline CLI (`aoai-gateway`, package.json bin). No Azure access and no
 * Pulumi CLI needed: every command works from a stack file alone.
 */
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/validate";
import { StackFileError } from "../config/load";
import { addLegacyKeys, diffTopologies, formatChanges } from "../model/changes";
import { createPlan, formatPlan } from "../model/plan";
import { registeredCommands } from "./commands";
import {
  type Io,
  type SourceOptions,
  UsageError,
  addSourceOptions,
  loadTopology,
  processIo,
  sourceFile,
} from "./common";

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("aoai-gateway")
    .description("Plan, preview and render an aoai-gateway stack offline (no Azure access needed).")
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });

  addSourceOptions(
    program.command("plan").description("show routes, quota pools, usable TPM and the gateway tier a stack deploys"),
  )
    .option(
      "--against <file>",
      "the stack file as deployed (e.g. `git show main:stacks/Pulumi.prod.yaml > old.yaml`): also list what changes, what is replaced and what is refused",
    )
    .action((opts: SourceOptions & { json: boolean; against?: string }) => {
      const topology = loadTopology(sourceFile(opts));
      const plan = createPlan(topology);
      // issue #11: say which changes replace before anything reaches Azure.
      const changes = opts.against ? diffTopologies(loadTopology(opts.against, addLegacyKeys), topology) : undefined;
      if (opts.json) io.out(JSON.stringify(changes ? { ...plan, changes } : plan, null, 2) + "\n");
      else io.out(formatPlan(plan) + (changes && opts.against ? "\n" + formatChanges(changes, opts.against) : ""));
      setCode(changes?.some((c) => c.kind === "refused") ? 1 : 0);
    });

  for (const register of registeredCommands) register(program, io, setCode);
  return program;
}

/** Run the CLI; returns the exit code. Known failures print a message, never a stack trace. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError || e instanceof StackFileError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
