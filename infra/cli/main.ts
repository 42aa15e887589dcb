/**
 * The offline CLI (`aoai-gateway`, package.json bin). No Azure access and no
 * Pulumi CLI needed: every command works from a stack file alone.
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError, validateConfig } from "../config/validate";
import { StackFileError, namespaceConfig, readStackConfig, stackFile } from "../config/load";
import { buildTopology, type Topology } from "../model/topology";
import { createPlan, formatPlan } from "../model/plan";
import { registeredCommands } from "./commands";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export interface SourceOptions {
  stack?: string;
  config?: string;
}

/** The stack file a command reads: `--stack NAME` or `--config FILE`, exactly one. */
export function sourceFile(opts: SourceOptions): string {
  if (opts.stack && opts.config) throw new UsageError("give either --stack NAME or --config FILE, not both");
  if (opts.stack) return stackFile(opts.stack);
  if (opts.config) return opts.config;
  throw new UsageError("give --stack NAME (reads stacks/Pulumi.NAME.yaml) or --config FILE");
}

export class UsageError extends Error {}

/** Read, validate and model a stack file. Throws StackFileError or ConfigError. */
export function loadTopology(file: string): Topology {
  return buildTopology(validateConfig(namespaceConfig(readStackConfig(file))));
}

export function addSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-s, --stack <name>", "stack name: reads stacks/Pulumi.<name>.yaml").conflicts("config"))
    .addOption(new Option("-c, --config <file>", "any file in the Pulumi stack config format"))
    .option("--json", "print JSON instead of text", false);
}

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("aoai-gateway")
    .description("Plan, preview and render an aoai-gateway stack offline (no Azure access needed).")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  addSourceOptions(
    program
      .command("plan")
      .description("show routes, quota pools, usable TPM and the gateway tier a stack deploys"),
  ).action((opts: SourceOptions & { json: boolean }) => {
    const plan = createPlan(loadTopology(sourceFile(opts)));
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
