/**
 * The offline CLI (`aoai-gateway`, package.json bin). No Azure access and no
 * Pulumi CLI needed: every command works from a stack file alone.
 */
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/validate";
import { StackFileError } from "../config/load";
import { DEFAULT_COST_ASSUMPTIONS } from "../model/cost";
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

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("aoai-gateway")
    .description("Plan, preview and render an aoai-gateway stack offline (no Azure access needed).")
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });

  addSourceOptions(
    program.command("plan").description("show routes, quota pools, usable TPM, the gateway tier and a cost estimate"),
  )
    .option("--utilization <share>", "cost estimate: share of usable TPM in use over the month, 0-1", "0.5")
    .option("--input-share <share>", "cost estimate: share of tokens that are input (prompt) tokens, 0-1", "0.75")
    .option("--cached-input-share <share>", "cost estimate: share of input tokens billed as cached, 0-1", "0")
    .action((opts: SourceOptions & PlanCostOptions & { json: boolean }) => {
      const plan = createPlan(loadTopology(sourceFile(opts)), costAssumptions(opts));
      io.out(opts.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
      setCode(0);
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
