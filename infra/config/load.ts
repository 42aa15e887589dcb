/**
 * Reading stack config into the raw `aoai-gateway:` namespace map. Pure
 * (filesystem and YAML only): the CLI reads stack files with it, and the
 * Pulumi program feeds it the engine's config map, so both validate the same
 * object the same way.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "./schema";

/** The repository root (the folder holding Pulumi.yaml). */
export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/** `stacks/Pulumi.<stack>.yaml`, as `stackConfigDir: stacks` in Pulumi.yaml says. */
export function stackFile(stack: string, root: string = PROJECT_ROOT): string {
  return join(root, "stacks", `Pulumi.${stack}.yaml`);
}

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** Plain words for the file system errors a user can fix. */
const READ_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a folder, not a file",
};

/** Stack names with a file in `stacks/` (for messages). */
export function stackNames(root: string = PROJECT_ROOT): string[] {
  try {
    return readdirSync(join(root, "stacks"))
      .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .sort();
  } catch {
    return [];
  }
}

/**
 * What Pulumi writes at the top level of a stack settings file (Pulumi's stack settings file reference:
 * secretsprovider, encryptedkey, encryptionsalt, config, environment). Anything else is ignored by Pulumi.
 */
export const STACK_FILE_TOP_LEVEL_KEYS = [
  "config",
  "encryptionsalt",
  "secretsprovider",
  "encryptedkey",
  "environment",
] as const;

/** Every key of a Pulumi stack file's `config:` map, as written (structured values stay structured). */
export function readStackConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = (code && READ_ERRORS[code]) ?? code ?? String(e);
    throw new StackFileError(`cannot read stack config ${file}: ${reason}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new StackFileError(`${file} is not valid YAML: ${(e as Error).message}`);
  }
  if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
    // issue #17: a recipe snippet pasted at column 0 sits beside `config:`, where Pulumi ignores it.
    const stray = Object.keys(doc).filter((k) => !(STACK_FILE_TOP_LEVEL_KEYS as readonly string[]).includes(k));
    if (stray.length > 0) {
      const plural = stray.length > 1;
      throw new StackFileError(
        `${file}: top-level key${plural ? "s" : ""} ${stray.map((k) => JSON.stringify(k)).join(", ")} ${plural ? "are" : "is"} not read by Pulumi: ${plural ? "they belong" : "it belongs"} under config: (indent ${plural ? "them" : "it"} by two spaces below the config: line); allowed at the top level: ${STACK_FILE_TOP_LEVEL_KEYS.join(", ")}`,
      );
    }
  } else if (doc !== null && doc !== undefined) {
    throw new StackFileError(
      `${file}: a stack file is a map with a config: key; got ${Array.isArray(doc) ? "a list" : "a scalar"}`,
    );
  }
  const config = (doc as { config?: unknown } | null)?.config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new StackFileError(`${file}: "config" must be a map of keys to values`);
  }
  return config as Record<string, unknown>;
}

/**
 * The `aoai-gateway:` namespace of a full config map, prefix stripped.
 * Values that arrive as JSON text (the Pulumi engine passes structured values
 * that way) are parsed.
 */
export function namespaceConfig(all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(prefix)) continue;
    out[key.slice(prefix.length)] = typeof value === "string" ? parseMaybeJson(value) : value;
  }
  return out;
}

function parseMaybeJson(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}
