/**
 * `--compare KEY=V1,V2`: one setting, several values, applied to the raw
 * stack config before validation (so a bad value fails like a bad config).
 * KEY is a dotted path under `aoai-gateway:`, array indexes as numbers:
 * `circuitBreaker.tripDuration`, `routing.mode`,
 * `backends.0.deployments.0.weight`.
 */
export interface CompareSpec {
  readonly key: string;
  readonly path: readonly (string | number)[];
  readonly values: readonly string[];
}

export class CompareSpecError extends Error {}

export function parseCompare(spec: string): CompareSpec {
  const eq = spec.indexOf("=");
  const key = eq < 0 ? "" : spec.slice(0, eq).trim();
  const values =
    eq < 0
      ? []
      : spec
          .slice(eq + 1)
          .split(",")
          .map((v) => v.trim());
  if (key === "" || values.length < 1 || values.some((v) => v === "")) {
    throw new CompareSpecError(
      `--compare ${JSON.stringify(spec)}: expected KEY=V1,V2 (for example circuitBreaker.tripDuration=PT10S,PT1M or routing.mode=pool,policy)`,
    );
  }
  const path = key.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (path.some((p) => p === ""))
    throw new CompareSpecError(`--compare: ${JSON.stringify(key)} is not a dotted key path`);
  return { key, path, values };
}

/** A config value from its command-line text: numbers and booleans as such, anything else a string. */
export function parseValue(text: string): string | number | boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => v !== null && typeof v === "object";

/** Set `path` in the raw namespace map to `value`, creating objects on the way. */
export function applySetting(raw: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Container = raw;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const child: unknown = Array.isArray(node) ? node[Number(key)] : node[String(key)];
    if (isContainer(child)) {
      node = child;
      continue;
    }
    if (child !== undefined && child !== null) {
      throw new CompareSpecError(
        `--compare: ${path.slice(0, i + 1).join(".")} is ${JSON.stringify(child)}, not an object`,
      );
    }
    if (Array.isArray(node)) {
      throw new CompareSpecError(`--compare: ${path.slice(0, i + 1).join(".")} does not exist in the stack config`);
    }
    const created: Container = typeof path[i + 1] === "number" ? [] : {};
    node[String(key)] = created;
    node = created;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node)) node[Number(last)] = value;
  else node[String(last)] = value;
}
