/**
 * What every CLI command shares: output sinks, the stack-file options and
 * loading a stack file into the topology.
 */
import { existsSync } from "node:fs";
import { type Command, Option } from "commander";
import { StackFileError, namespaceConfig, readStackConfig, stackFile, stackNames } from "../config/load";
import { validateConfig } from "../config/validate";
import { buildTopology, type Topology } from "../model/topology";

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
  if (opts.stack) {
    const file = stackFile(opts.stack);
    if (!existsSync(file)) {
      const known = stackNames();
      throw new StackFileError(
        `no stack named ${JSON.stringify(opts.stack)}: ${file} does not exist (stacks: ${known.length > 0 ? known.join(", ") : "none"})`,
      );
    }
    return file;
  }
  if (opts.config) return opts.config;
  throw new UsageError("give --stack NAME (reads stacks/Pulumi.NAME.yaml) or --config FILE");
}

export class UsageError extends Error {}

/**
 * Read, validate and model a stack file; `adjust` may edit the raw namespace
 * map first (validated like the file). Throws StackFileError or ConfigError.
 */
export function loadTopology(file: string, adjust?: (raw: Record<string, unknown>) => void): Topology {
  const all = readStackConfig(file);
  const raw = namespaceConfig(all);
  adjust?.(raw);
  return buildTopology(validateConfig(raw, { stackKeys: Object.keys(all) }));
}

export function addSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-s, --stack <name>", "stack name: reads stacks/Pulumi.<name>.yaml").conflicts("config"))
    .addOption(new Option("-c, --config <file>", "any file in the Pulumi stack config format"))
    .option("--json", "print JSON instead of text", false);
}
