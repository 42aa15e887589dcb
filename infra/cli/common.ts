/**
 * What every CLI command shares: output sinks, the stack-file options and
 * loading a stack file into the topology.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { type Command, Option } from "commander";
import { PROJECT_ROOT, StackFileError, namespaceConfig, readStackConfig, stackFile, stackNames } from "../config/load";
import { ConfigError } from "../config/validate";
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

/** A mistake in how the command was called: one line on stderr, exit code 2 (as commander's own usage errors). */
export class UsageError extends Error {}

/** A failure the user can fix (a file that cannot be written, ...): one line on stderr, exit code 1. */
export class CliError extends Error {}

/** Plain words for the file system errors a user can fix when the CLI writes. */
const WRITE_ERRORS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EEXIST: "a file is in the way (give a folder, or another path)",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  ENOENT: "no such folder",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
};

/** Run a file-system write; a failure becomes one CliError line naming what was written and why it failed. */
export function writing<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new CliError(`cannot write ${what}: ${WRITE_ERRORS[code] ?? code}`);
  }
}

/**
 * Send a command's text to stdout (`--out -` or no `--out`) or to a file.
 * Returns the absolute path written, or null for stdout.
 */
export function emit(io: Io, text: string, out: string | undefined): string | null {
  if (out === undefined || out === "-") {
    io.out(text);
    return null;
  }
  const file = resolve(out);
  writing(file, () => writeFileSync(file, text));
  return file;
}

/** `Examples:` help text for a command (shown after commander's own help). */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

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

/** `--stack NAME` or `--config FILE`. */
export function addStackOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-s, --stack <name>", "stack name: reads stacks/Pulumi.<name>.yaml").conflicts("config"))
    .addOption(new Option("-c, --config <file>", "any file in the Pulumi stack config format"));
}

/** `--stack NAME` or `--config FILE`, and `--json`. */
export function addSourceOptions(cmd: Command): Command {
  return addStackOptions(cmd).option("--json", "print JSON instead of text", false);
}

/** `Pulumi.<name>.yaml` files in a folder (none when it cannot be read). */
function stackFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^Pulumi\.(.+)\.ya?ml$/.test(f))
      .sort()
      .map((f) => resolve(dir, f));
  } catch {
    return [];
  }
}

/**
 * The other stack files a stack is compared with for resources both would create (issue #17): the ones
 * beside it and, for `--config FILE` elsewhere, the project's stacks/ folder too, except the stack of the
 * same file name (that is the stack itself, edited elsewhere). Files that do not load
 * are skipped here: their own `plan` reports them.
 */
export function otherStackTopologies(file: string): { file: string; topology: Topology }[] {
  const self = resolve(file);
  // A file named like a stack in stacks/ (a draft of Pulumi.dev.yaml edited elsewhere) is that stack.
  const sameStack = (f: string) => basename(f) === basename(self) && dirname(f) !== dirname(self);
  const files = [...new Set([...stackFilesIn(dirname(self)), ...stackFilesIn(join(PROJECT_ROOT, "stacks"))])];
  return files
    .filter((f) => f !== self && !sameStack(f))
    .flatMap((f) => {
      try {
        return [{ file: relative(process.cwd(), f) || f, topology: loadTopology(f) }];
      } catch (e) {
        if (e instanceof ConfigError || e instanceof StackFileError) return [];
        throw e;
      }
    });
}
